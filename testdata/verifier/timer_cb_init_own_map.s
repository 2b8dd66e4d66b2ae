# prog: xdp
# map: array key=4 value=24 max=1 timer=8
# expect: accept
# In the callback, R1 is the timer's map and R3 its value: bpf_timer_init(&v->timer, map) matches.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
mov %r1, %r6
add %r1, 8
lddw %r2, func:cb
call 170
mov %r0, 2
exit
cb:
mov %r2, %r1
mov %r1, %r3
add %r1, 8
mov %r3, 1
call 169
mov %r0, 0
exit

# prog: xdp
# map: array key=4 value=32 max=1 timer=8
# expect: reject EINVAL "off 16 doesn't point to 'struct bpf_timer' that is at 8"
# Inside the timer is not at the timer.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
mov %r1, %r6
add %r1, 16
lddw %r2, map:0
mov %r3, 1
call 169
mov %r0, 2
exit

# prog: xdp
# map: array key=4 value=24 max=1 timer=8
# expect: accept
# Two callbacks that register each other (timer_mim in the selftests).
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
mov %r1, %r3
add %r1, 8
lddw %r2, func:cb2
call 170
mov %r0, 0
exit
cb2:
mov %r1, %r3
add %r1, 8
lddw %r2, func:cb
call 170
mov %r0, 0
exit

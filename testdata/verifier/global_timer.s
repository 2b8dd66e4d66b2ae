# prog: xdp
# map: array key=4 value=24 max=1 timer=8
# global: arm(int)
# expect: accept
# A global function arms a timer with a static callback; the callback is verified with it.
mov %r1, 0
call local arm
mov %r0, 2
exit
arm:
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
add %r1, 8
lddw %r2, map:0
mov %r3, 1
call 169
mov %r1, %r6
add %r1, 8
lddw %r2, func:cb
call 170
mov %r1, %r6
add %r1, 8
mov %r2, 1000
mov %r3, 0
call 171
out:
mov %r0, 0
exit
cb:
mov %r0, 0
exit

# prog: xdp
# map: array key=4 value=32 max=1 timer=8
# expect: accept
# The bytes around the timer are ordinary: before it and after it.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
stdw [%r6+0], 1
stdw [%r6+24], 2
ldxdw %r0, [%r6+0]
mov %r0, 2
exit

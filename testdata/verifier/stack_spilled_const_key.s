# prog: xdp
# map: array key=4 value=16 max=4
# expect: accept
stw [%r10-4], 1
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, +1
ldxdw %r0, [%r0+8]
mov %r0, 0
exit

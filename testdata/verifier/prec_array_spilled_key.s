# prog: xdp
# map: array key=4 value=8 max=4
# expect: accept
# A key spilled from a register (4 bytes at an aligned slot) is still known to be 2.
mov %r1, 2
stxw [%r10-8], %r1
mov %r2, %r10
add %r2, -8
lddw %r1, map:0
call 1
ldxdw %r0, [%r0+0]
mov %r0, 2
exit

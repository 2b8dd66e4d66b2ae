# prog: xdp
# map: array key=4 value=64 max=1
# expect: accept
# i & 0x38 is a multiple of 8 in [0, 56]: an 8-byte load at value + i fits 64 bytes.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
call 7
and %r0, 0x38
add %r6, %r0
ldxdw %r0, [%r6+0]
mov %r0, 2
exit

# prog: xdp
# map: array key=4 value=16 max=4
# expect: accept
# idx & 7 is in [0, 7]: a byte at value + 8 + idx stays inside 16.
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
and %r0, 7
add %r6, %r0
ldxb %r0, [%r6+8]
out:
mov %r0, 0
exit

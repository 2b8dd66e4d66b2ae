# prog: xdp
# map: array key=4 value=16 max=1
# expect: accept
# w1 += 8 links with a 32-bit delta when the upper half is zero; the sync zero-extends.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
and %r0, 0xff
mov %r1, %r0
add32 %r1, 8
jgt %r1, 15, out
add %r6, %r0
ldxdw %r0, [%r6+0]
out:
mov %r0, 2
exit

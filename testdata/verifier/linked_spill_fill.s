# prog: xdp
# map: array key=4 value=16 max=1
# expect: accept
# r0, its spill and its fill r3 share an id; r1 = r3 + 8: the check on r1 narrows all of them.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
and %r0, 0xff
stxdw [%r10-16], %r0
ldxdw %r3, [%r10-16]
mov %r1, %r3
add %r1, 8
jgt %r1, 15, out
ldxdw %r4, [%r10-16]
add %r6, %r4
ldxdw %r0, [%r6+0]
out:
mov %r0, 2
exit

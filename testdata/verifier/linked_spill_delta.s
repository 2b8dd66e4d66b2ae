# prog: xdp
# map: array key=4 value=16 max=1
# expect: reject EACCES "R6 max value is outside of the allowed memory range"
# Spilling r1 (id=N+8) gives it and the slot a fresh id: the fill is not linked to r0.
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
add %r1, 8
stxdw [%r10-16], %r1
ldxdw %r3, [%r10-16]
jgt %r3, 15, out
add %r6, %r0
ldxdw %r0, [%r6+0]
out:
mov %r0, 2
exit

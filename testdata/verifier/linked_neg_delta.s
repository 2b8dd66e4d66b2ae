# prog: xdp
# map: array key=4 value=16 max=1
# expect: accept
# A negative delta (r1 += -4, id=N-4): r1 <= 4 leaves r0 in [4, 8].
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
add %r1, -4
jgt %r1, 4, out
add %r6, %r0
ldxdw %r0, [%r6+0]
out:
mov %r0, 2
exit

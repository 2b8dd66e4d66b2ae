# prog: xdp
# map: array key=4 value=16 max=1
# expect: accept
# r1 = r0 - 1 is linked too (delta -1): r1 <= 7 (unsigned) leaves r0 in [1, 8].
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
sub %r1, 1
jgt %r1, 7, out
add %r6, %r0
ldxdw %r0, [%r6+0]
out:
mov %r0, 2
exit

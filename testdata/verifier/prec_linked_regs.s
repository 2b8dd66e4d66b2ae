# prog: xdp
# map: array key=4 value=16 max=1
# expect: accept
# r7 = r0 links the two registers: checking r7 bounds r0 as well.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
call 7
mov %r7, %r0
jgt %r7, 8, out
add %r6, %r0
ldxdw %r0, [%r6+0]
out:
mov %r0, 2
exit

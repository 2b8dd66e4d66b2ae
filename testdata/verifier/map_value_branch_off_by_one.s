# prog: xdp
# map: array key=4 value=16 max=4
# expect: reject EACCES "invalid access to map value, value_size=16 off=9 size=8"
# if (idx > 9) leaves idx = 9 possible: one byte too far.
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
jgt %r0, 9, out
add %r6, %r0
ldxdw %r0, [%r6+0]
out:
mov %r0, 0
exit

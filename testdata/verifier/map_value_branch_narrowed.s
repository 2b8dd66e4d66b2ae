# prog: xdp
# map: array key=4 value=16 max=4
# expect: accept
# if (idx > 8) goto out narrows idx to [0, 8]: value + idx + 8 bytes stays inside 16.
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
jgt %r0, 8, out
add %r6, %r0
ldxdw %r0, [%r6+0]
out:
mov %r0, 0
exit

# prog: xdp
# map: array key=4 value=16 max=1
# expect: accept
# r1 = r0 + 8 (id=N+8): checking r1 <= 15 bounds r0 to [0, 7] (sync_linked_regs shifts the range).
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
jgt %r1, 15, out
add %r6, %r0
ldxdw %r0, [%r6+0]
out:
mov %r0, 2
exit

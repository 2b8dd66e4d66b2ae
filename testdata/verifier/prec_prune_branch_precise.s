# prog: xdp
# map: array key=4 value=8 max=1
# expect: accept
# A decided branch makes the compared scalar precise: the second path reaches the saved state
# at the join with r7 = 1 instead of 0, is not pruned, and takes the other (safe) side.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
mov %r7, 0
jne %r0, 0, other
mov %r1, 1
mov %r2, 2
mov %r3, 3
mov %r4, 4
mov %r5, 5
ja join
other:
mov %r7, 1
join:
mov %r8, %r7
jeq %r8, 0, first
ldxdw %r0, [%r6+0]
first:
mov %r0, 2
exit
out:
mov %r0, 1
exit

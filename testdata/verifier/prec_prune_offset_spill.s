# prog: xdp
# map: array key=4 value=8 max=1
# expect: reject EACCES "invalid access to map value"
# The first path reaches the join with r7 = 0, spills and fills it, and adds it to a map value
# pointer: backtracking through the fill and the spill marks r7 precise in the state saved at
# the join, so the second path (r7 = 16, out of bounds) is not pruned there and is refused.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
mov %r7, 0
jne %r0, 0, far
mov %r1, 1
mov %r2, 2
mov %r3, 3
mov %r4, 4
mov %r5, 5
ja join
far:
mov %r7, 16
join:
stxdw [%r10-16], %r7
ldxdw %r8, [%r10-16]
add %r6, %r8
ldxb %r0, [%r6+0]
out:
mov %r0, 2
exit

# prog: xdp
# expect: accept
# One path spills the context pointer to fp-8, the other a constant; nothing reads fp-8 after
# the join. Stack slot liveness (6.18) finds the slot dead there and clears it from the state
# saved at the join, so the second path is pruned although the slot's types differ.
mov %r6, %r1
call 7
mov %r7, 0
mov %r8, 0
jeq %r0, 0, other
stxdw [%r10-8], %r6
ja join
other:
stdw [%r10-8], 2
join:
stdw [%r10-16], 7
mov %r1, 1
mov %r2, 2
ldxdw %r0, [%r10-16]
and %r0, 1
exit

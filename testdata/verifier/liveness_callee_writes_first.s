# prog: xdp
# expect: accept
# The paths leave a pointer or a constant in fp-8 and call f(&fp-8), which always writes the
# slot before reading it: the facts gathered in f's call chain (must_write at its entry) make
# fp-8 dead at the call, so the state saved there prunes the second path.
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
mov %r1, %r10
add %r1, -8
call local f
ldxdw %r0, [%r10-8]
exit
f:
stdw [%r1+0], 3
ldxdw %r2, [%r1+0]
mov %r0, %r2
and %r0, 1
exit

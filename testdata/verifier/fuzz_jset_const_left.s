# Found by differential fuzzing (scripts/fuzz-verifier.ts --kernel, seed 11 program 561): JSET
# decides the branch when either operand is the constant (is_scalar_branch_taken() swaps them):
# 0 & anything is never set, so the load through a scalar is dead code.
# prog: xdp
# expect: accept
	call 7
	mov32 %r1, %r0
	mov32 %r3, 0
	jset32 %r3, %r1, bad
	mov %r0, 0
	exit
bad:	ldxdw %r0, [%r0+0]
	exit

# Found by differential fuzzing (seed 7 program 179, shrunk): a 32-bit mod by a register leaves
# the whole 64-bit register unknown (adjust_scalar_min_max_vals() returns before zero-extending).
# prog: xdp
# map: array key=4 value=32 max=4
# map: hash key=4 value=16 max=8
# expect: reject EINVAL "infinite loop detected at insn 9"
	mov %r6, %r1
	ldxw %r7, [%r6+0]
	ldxw %r8, [%r6+4]
	mov %r0, 2
	mov %r4, 603178296
L5: mov %r1, %r7
	add %r1, 13
	jgt %r1, %r8, L9
	ldxb %r9, [%r7+3]
L9: jlt %r9, 3, L5
	mod32 %r9, %r4
	jne %r9, -2, L12
L12: jslt %r4, 32, L13
L13: exit

# Found by differential fuzzing (scripts/fuzz-verifier.ts --kernel, seed 7 program 506, shrunk):
# states_maybe_looping() compares every register of the frame, dead ones too (r3 is dead at
# L7 but differs between iterations), so the kernel reports the loop elsewhere.
# prog: xdp
# map: array key=4 value=32 max=4
# map: hash key=4 value=16 max=8
# expect: reject EINVAL "infinite loop detected at insn 3"
	mov %r6, %r1
	ldxw %r7, [%r6+0]
	mov %r0, 31
L3: mov %r9, 0
L4: add %r9, 1
	jlt %r9, 1, L4
	jeq %r0, 0, L7
L7: mov %r3, 7
	jlt %r9, 3, L3
	lddw %r2, func:L12
	exit
L12: exit

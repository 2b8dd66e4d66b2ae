# Found by differential fuzzing (seed 7 program 777, shrunk): stack reads grow the frame's
# allocated stack as writes do; with bpf_loop's callback state in the mix.
# prog: xdp
# map: array key=4 value=32 max=4
# map: hash key=4 value=16 max=8
# expect: reject EINVAL "infinite loop detected at insn 22"
	mov %r4, 1
	mov %r1, 5
	lddw %r2, func:L26
	mov %r3, %r10
	call 181
	mov %r0, 7
	mov %r2, -2
	mov %r3, -2
	mov %r4, 7
	call 5
	mov %r4, 64
	mov %r9, 0
L13: jsle32 %r4, -1, L24
	xor32 %r4, 255
	stw [%r10-4], 1
	mov %r2, %r10
	add %r2, -4
	lddw %r1, map:0
	call 1
	jeq %r0, 0, L22
L22: mov %r4, 32
	stdw [%r10-64], 3
L24: jlt %r9, 5, L13
	exit
L26: exit

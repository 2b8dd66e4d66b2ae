# Found by differential fuzzing (seed 7 program 1631): BPF_ADDR_SPACE_CAST (mov with off 1) is
# checked for its address spaces before the arena it needs.
# prog: xdp
# expect: reject EINVAL "addr_space_cast insn can only convert between address space 1 and 0"
	mov %r0, 0
	addr_space_cast %r3, %r10, 0, 0
	exit

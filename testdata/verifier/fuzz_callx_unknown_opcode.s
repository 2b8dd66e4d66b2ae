# Found by differential fuzzing (seed 7 programs 1967, 1135, 1242): callx (JMP|CALL|X) is not an
# opcode of the kernel's instruction table, and opcodes are checked (resolve_pseudo_ldimm64())
# before reachability (check_cfg()): the unreachable call is refused as an unknown opcode.
# prog: xdp
# expect: reject EINVAL "unknown opcode 8d"
	mov %r0, 0
	exit
	call %r1
	exit

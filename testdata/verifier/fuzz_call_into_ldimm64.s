# Found by differential fuzzing (seed 7 programs 689, 884): a call into the middle of an ld_imm64
# passes add_subprog() (it is in range); check_subprogs() then finds the ld_imm64 ending a function.
# prog: xdp
# expect: reject EINVAL "last insn is not an exit or jmp"
	call local +1
	lddw %r0, 0x100000000
	exit

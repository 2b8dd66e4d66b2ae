# Found by differential fuzzing (seed 7 programs 757, 1942): an ld_imm64 with src
# BPF_PSEUDO_MAP_IDX reads its map's fd from bpf_attr.fd_array, and this load gives none.
# resolve_pseudo_ldimm64() refuses it before any instruction is walked, though map 1 exists
# and the reserved fields of the later mov would be refused too.
# prog: xdp
# map: array key=4 value=32 max=4
# map: hash key=4 value=16 max=8
# expect: reject EPROTO "fd_idx without fd_array is invalid"
	lddw %r1, mapidx:1
	mov %r0, 2
	exit

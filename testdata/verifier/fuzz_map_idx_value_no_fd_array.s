# Found by differential fuzzing (seed 11 program 1973): BPF_PSEUDO_MAP_IDX_VALUE without an
# fd_array is refused for that (EPROTO) before its index is looked up: there is no map 12.
# prog: xdp
# map: array key=4 value=32 max=4
# expect: reject EPROTO "fd_idx without fd_array is invalid"
	lddw %r2, mapidxvalue:12+0
	exit

# bpf_xdp_store_bytes reads its buffer (ARG_PTR_TO_MEM | MEM_RDONLY) from initialised stack;
# bpf_xdp_get_buff_len takes the context.
# prog: xdp
# expect: accept
	mov %r6, %r1
	stw [%r10-8], 0
	stw [%r10-4], 7
	mov %r3, %r10
	add %r3, -8
	mov %r2, 2
	mov %r4, 8
	call 190
	mov %r1, %r6
	call 188
	exit

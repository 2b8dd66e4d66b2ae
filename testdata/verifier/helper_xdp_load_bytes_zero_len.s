# bpf_xdp_load_bytes' length is ARG_CONST_SIZE: zero is refused.
# prog: xdp
# expect: reject EACCES "R4 invalid zero-sized read"
	mov %r3, %r10
	add %r3, -8
	mov %r2, 0
	mov %r4, 0
	call 189
	exit

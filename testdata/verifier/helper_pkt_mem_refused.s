# A checked packet range is still no memory argument for bpf_xdp_load_bytes: the helper has no
# .pkt_access, so check_func_arg() refuses the packet pointer (ARG_PTR_TO_UNINIT_MEM would take one).
# prog: xdp
# expect: reject EACCES "helper access to the packet is not allowed"
	ldxw %r2, [%r1+0]
	ldxw %r3, [%r1+4]
	mov %r0, 0
	mov %r4, %r2
	add %r4, 8
	jgt %r4, %r3, out
	mov %r3, %r2
	mov %r2, 0
	mov %r4, 8
	call 189
	mov %r0, 0
out:
	exit

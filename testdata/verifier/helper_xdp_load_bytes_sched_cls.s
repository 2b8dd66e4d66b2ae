# bpf_xdp_load_bytes is for XDP programs only.
# prog: sched_cls
# expect: reject EINVAL "program of this type cannot use helper bpf_xdp_load_bytes#189"
	mov %r3, %r10
	add %r3, -8
	mov %r2, 0
	mov %r4, 8
	call 189
	exit

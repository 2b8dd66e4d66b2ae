# Found by differential fuzzing (seed 6118 program 2059): check_func_arg() refuses a packet pointer
# to a helper without .pkt_access (here bpf_loop's context, ARG_PTR_TO_STACK_OR_NULL) before it
# looks at the argument's type: "helper access to the packet is not allowed", not "R3 type=pkt".
# prog: xdp
# expect: reject EACCES "helper access to the packet is not allowed"
	ldxw %r7, [%r1+0]
	mov %r1, 3
	lddw %r2, func:cb
	mov %r3, %r7
	add %r3, -16
	mov %r4, 0
	call 181
	mov %r0, 0
	exit
cb:
	mov %r0, 0
	exit

# Found by differential fuzzing (seed 7 program 1279): 6.18's bpf_base_func_proto() offers
# bpf_perf_event_read to every program type, XDP included (GPL only).
# prog: xdp
# map: perf_event_array key=4 value=4 max=1
# expect: accept
	lddw %r1, map:0
	mov %r2, 0
	call 22
	mov %r0, 2
	exit

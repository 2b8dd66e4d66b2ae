# bpf_perf_event_read takes only a perf event array (check_map_func_compatibility).
# prog: sched_cls
# map: array key=4 value=4 max=1
# expect: reject EINVAL "cannot pass map_type 2 into func bpf_perf_event_read#22"
	lddw %r1, map:0
	mov %r2, 0
	call 22
	mov %r0, 0
	exit

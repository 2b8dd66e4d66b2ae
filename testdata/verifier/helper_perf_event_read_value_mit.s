# bpf_perf_event_read_value is GPL only; the license is checked before the arguments.
# prog: xdp
# license: MIT
# map: array key=4 value=4 max=1
# expect: reject EINVAL "cannot call GPL-restricted function from non-GPL compatible program"
	lddw %r1, map:0
	mov %r2, 0
	mov %r3, %r10
	add %r3, -24
	mov %r4, 24
	call 55
	mov %r0, 0
	exit

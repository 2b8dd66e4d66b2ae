# bpf_map_lookup_elem has .pkt_access: an XDP program may use 4 checked packet bytes as the key
# (and bpf_csum_diff may read checked packet bytes the same way).
# prog: xdp
# map: hash key=4 value=8 max=16
# expect: accept
	ldxw %r2, [%r1+0]
	ldxw %r3, [%r1+4]
	mov %r0, 0
	mov %r4, %r2
	add %r4, 8
	jgt %r4, %r3, out
	mov %r6, %r2
	lddw %r1, map:0
	call 1
	mov %r1, %r6
	mov %r2, 8
	mov %r3, 0
	mov %r4, 0
	mov %r5, 0
	call 28
	mov %r0, 0
out:
	exit

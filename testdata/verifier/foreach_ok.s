# prog: xdp
# map: hash key=4 value=16 max=16
# expect: accept
# bpf_for_each_map_elem: the callback gets (map, key, value, ctx) and sums values into ctx.
stdw [%r10-8], 0
lddw %r1, map:0
lddw %r2, func:cb
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 164
mov %r0, 2
exit
cb:
ldxw %r5, [%r2+0]
ldxdw %r0, [%r3+8]
ldxdw %r5, [%r4+0]
add %r5, %r0
stxdw [%r4+0], %r5
stdw [%r3+0], 0
mov %r0, 0
exit

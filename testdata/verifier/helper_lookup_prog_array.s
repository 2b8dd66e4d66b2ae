# prog: xdp
# map: prog_array key=4 value=4 max=4
# expect: reject EINVAL "cannot pass map_type 3 into func bpf_map_lookup_elem#1"
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
mov %r0, 0
exit

# prog: xdp
# map: hash key=4 value=8 max=16
# expect: reject EACCES "R0 invalid mem access 'map_value_or_null'"
# Source lines from BTF line info: each new line record prints `; <text> @ file:line` first.
stw [%r10-4], 0          #@   __u32 key = 0;
mov %r2, %r10            #@   __u64 *v = bpf_map_lookup_elem(&m, &key);
add %r2, -4
lddw %r1, map:0
call 1
ldxdw %r0, [%r0+0]       #@   return *v;
exit

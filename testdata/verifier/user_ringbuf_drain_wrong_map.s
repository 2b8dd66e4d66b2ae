# prog: xdp
# map: ringbuf key=0 value=0 max=4096
# expect: reject EINVAL "cannot pass map_type 27 into func bpf_user_ringbuf_drain#209"
# It drains a user ring buffer, not a kernel one.
lddw %r1, map:0
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 209
mov %r0, 2
exit
cb:
mov %r0, 0
exit

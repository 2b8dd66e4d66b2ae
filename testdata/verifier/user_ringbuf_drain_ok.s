# prog: xdp
# map: user_ringbuf key=0 value=0 max=4096
# expect: accept
# bpf_user_ringbuf_drain(map, cb, ctx, 0): the callback gets (dynptr, ctx).
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

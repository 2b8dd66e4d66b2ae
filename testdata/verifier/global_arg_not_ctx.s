# prog: xdp
# global: pkt_len(ctx)
# expect: reject EINVAL "Caller passes invalid args into func#1 ('pkt_len')"
# A context parameter takes the context pointer, not a stack pointer.
mov %r1, %r10
call local pkt_len
exit
pkt_len:
ldxw %r0, [%r1+4]
exit

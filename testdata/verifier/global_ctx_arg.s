# prog: xdp
# global: pkt_len(ctx)
# expect: accept
# A pointer to the program type's context struct (struct xdp_md *) arrives as PTR_TO_CTX.
call local pkt_len
exit
pkt_len:
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r0, %r3
sub %r0, %r2
exit

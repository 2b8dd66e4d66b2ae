# prog: sched_cls
# global: skb_len(ctx)
# expect: accept
# For TC programs the context struct is __sk_buff.
call local skb_len
exit
skb_len:
ldxw %r0, [%r1+0]
exit

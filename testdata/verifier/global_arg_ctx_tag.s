# prog: xdp
# global: rxq(ptr:void arg:ctx)
# expect: accept
# A `void *` tagged arg:ctx is the context.
call local rxq
exit
rxq:
ldxw %r0, [%r1+16]
exit

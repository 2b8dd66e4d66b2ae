# prog: tracepoint
# global: peek(ptr:void arg:ctx)
# expect: accept
# A tracepoint's context has no named struct: only a `void *` tagged arg:ctx is the context.
call local peek
exit
peek:
ldxdw %r0, [%r1+8]
exit

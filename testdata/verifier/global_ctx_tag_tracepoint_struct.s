# prog: tracepoint
# global: peek(ptr:8 arg:ctx)
# expect: accept
# ... or a pointer to any named type: tracepoint arguments are raw memory.
call local peek
exit
peek:
ldxdw %r0, [%r1+8]
exit

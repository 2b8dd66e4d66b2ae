# prog: tracepoint
# global: peek(ptr:void arg:ctx, ptr:8 arg:ctx)
# expect: accept
# Two context arguments (arg:ctx on void * and on a struct pointer): both get the context.
mov %r2, %r1
call local peek
exit
peek:
ldxdw %r0, [%r2+8]
exit

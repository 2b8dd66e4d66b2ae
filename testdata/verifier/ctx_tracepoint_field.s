# prog: tracepoint
# expect: accept
ldxdw %r0, [%r1+8]
mov %r0, 0
exit

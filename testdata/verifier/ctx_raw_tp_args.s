# prog: raw_tracepoint
# expect: accept
# A raw tracepoint reads its u64 arguments from ctx: 12 of them (MAX_BPF_FUNC_ARGS).
ldxdw %r0, [%r1+0]
ldxdw %r2, [%r1+88]
ldxw %r3, [%r1+4]
exit

# prog: raw_tracepoint
# expect: reject EACCES "invalid bpf_context access off=96 size=8"
# The thirteenth u64 is past the last argument a raw tracepoint can have.
ldxdw %r0, [%r1+96]
exit

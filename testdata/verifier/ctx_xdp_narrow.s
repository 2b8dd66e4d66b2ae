# prog: xdp
# expect: reject EACCES "invalid bpf_context access off=0 size=2"
ldxh %r0, [%r1+0]
exit

# prog: xdp
# expect: reject EACCES "invalid bpf_context access off=100 size=4"
ldxw %r0, [%r1+100]
exit

# prog: xdp
# expect: reject EACCES "invalid bpf_context access off=20 size=4"
ldxw %r0, [%r1+20]
exit

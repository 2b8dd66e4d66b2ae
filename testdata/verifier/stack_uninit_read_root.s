# prog: xdp
# expect: accept
ldxdw %r0, [%r10-8]
exit

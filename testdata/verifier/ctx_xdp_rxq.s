# prog: xdp
# expect: accept
ldxw %r0, [%r1+16]
exit

# prog: xdp
# expect: reject EACCES "R3 invalid mem access 'pkt_end'"
ldxw %r3, [%r1+4]
ldxb %r0, [%r3+0]
exit

# prog: xdp
# expect: accept
mov %r1, 5
jgt %r1, 10, +1
ja +1
ldxdw %r0, [%r9+0]
mov %r0, 0
exit

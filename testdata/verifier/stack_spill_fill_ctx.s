# prog: xdp
# expect: accept
stxdw [%r10-8], %r1
ldxdw %r2, [%r10-8]
ldxw %r0, [%r2+0]
mov %r0, 2
exit

# prog: xdp
# expect: accept
mov %r1, 3
stxdw [%r10-8], %r1
ldxdw %r2, [%r10-8]
mov %r0, 0
jle %r2, 3, +1
ldxdw %r0, [%r9+0]
exit

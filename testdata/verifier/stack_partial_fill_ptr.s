# prog: xdp
# expect: reject EACCES "invalid size of register fill"
stxdw [%r10-8], %r1
ldxw %r2, [%r10-8]
mov %r0, 2
exit

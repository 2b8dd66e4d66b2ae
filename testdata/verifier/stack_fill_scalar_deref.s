# prog: xdp
# expect: reject EACCES "R2 invalid mem access 'scalar'"
mov %r1, 3
stxdw [%r10-8], %r1
ldxdw %r2, [%r10-8]
ldxdw %r0, [%r2+0]
exit

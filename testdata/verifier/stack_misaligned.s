# prog: xdp
# expect: reject EACCES "misaligned stack access"
mov %r0, 0
stxdw [%r10-4], %r0
exit

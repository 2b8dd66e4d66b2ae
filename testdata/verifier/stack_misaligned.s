# prog: xdp
# expect: reject "misaligned stack access"
mov %r0, 0
stxdw [%r10-4], %r0
exit

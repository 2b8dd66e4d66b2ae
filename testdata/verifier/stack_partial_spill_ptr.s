# prog: xdp
# expect: reject "invalid size of register spill"
stxw [%r10-8], %r1
mov %r0, 2
exit

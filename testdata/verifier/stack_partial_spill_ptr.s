# prog: xdp
# expect: reject EACCES "invalid size of register spill"
stxw [%r10-8], %r1
mov %r0, 2
exit

# prog: xdp
# expect: reject EACCES "invalid write to stack R10 off=0 size=8"
mov %r0, 0
stxdw [%r10+0], %r0
exit

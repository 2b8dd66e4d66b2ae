# prog: xdp
# expect: reject EACCES "invalid write to stack R10 off=-520 size=8"
mov %r0, 0
stxdw [%r10-520], %r0
exit

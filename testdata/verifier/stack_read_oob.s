# prog: xdp
# expect: reject EACCES "invalid read from stack R10 off=-520 size=8"
mov %r0, 0
ldxdw %r0, [%r10-520]
exit

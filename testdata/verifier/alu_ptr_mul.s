# prog: xdp
# expect: reject EACCES "R0 pointer arithmetic with *= operator prohibited"
mov %r0, %r1
mul %r0, 2
exit

# prog: xdp
# expect: reject EACCES "R0 bitwise operator &= on pointer prohibited"
mov %r0, %r1
and %r0, 2
exit

# prog: xdp
# expect: reject EACCES "R0 32-bit pointer arithmetic prohibited"
mov %r0, %r1
add32 %r0, 2
mov %r0, 0
exit

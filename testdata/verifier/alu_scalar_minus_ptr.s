# prog: xdp
# expect: reject EACCES "R0 tried to subtract pointer from scalar"
mov %r0, 5
sub %r0, %r1
exit

# prog: xdp
# expect: accept
mov %r0, %r10
sub %r0, %r1
mov %r0, 0
exit

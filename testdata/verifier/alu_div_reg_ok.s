# prog: xdp
# expect: accept
mov %r0, 10
mov %r1, 0
div %r0, %r1
exit

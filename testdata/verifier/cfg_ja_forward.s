# prog: xdp
# expect: accept
mov %r0, 2
ja +1
mov %r0, 3
exit

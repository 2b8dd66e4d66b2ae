# prog: xdp
# expect: accept
mov %r0, 0x1234
be16 %r0
exit

# prog: xdp
# expect: accept
mov32 %r0, %r1
exit

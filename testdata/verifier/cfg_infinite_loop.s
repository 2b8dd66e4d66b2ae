# prog: xdp
# expect: reject EINVAL "infinite loop detected"
mov %r0, 0
l: mov %r1, 1
jeq %r1, 1, l
exit

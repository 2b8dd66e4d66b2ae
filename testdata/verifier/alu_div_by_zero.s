# prog: xdp
# expect: reject EINVAL "div by zero"
mov %r0, 1
div %r0, 0
exit

# prog: xdp
# expect: reject "div by zero"
mov %r0, 1
div %r0, 0
exit

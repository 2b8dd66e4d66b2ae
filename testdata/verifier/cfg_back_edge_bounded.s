# prog: xdp
# expect: accept
mov %r0, 0
mov %r1, 0
l: add %r1, 1
jlt %r1, 10, l
exit

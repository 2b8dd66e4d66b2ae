# prog: xdp
# expect: accept
mov %r0, 0
mov %r1, 0
l: add %r0, %r1
add %r1, 1
jlt %r1, 100, l
mov %r0, 0
exit

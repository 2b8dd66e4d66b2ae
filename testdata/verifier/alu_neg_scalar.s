# prog: xdp
# expect: accept
mov %r0, 5
neg %r0
add %r0, 5
exit

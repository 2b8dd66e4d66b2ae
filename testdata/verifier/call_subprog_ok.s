# prog: xdp
# expect: accept
mov %r1, 1
call local f
exit
f: mov %r0, %r1
exit

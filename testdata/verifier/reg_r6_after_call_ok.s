# prog: xdp
# expect: accept
mov %r6, 7
call 5
mov %r0, %r6
exit

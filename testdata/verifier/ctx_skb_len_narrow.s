# prog: socket
# expect: accept
ldxb %r0, [%r1+0]
exit

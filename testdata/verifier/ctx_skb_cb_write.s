# prog: socket
# expect: accept
stw [%r1+48], 1
mov %r0, 0
exit

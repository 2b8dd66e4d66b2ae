# prog: xdp
# expect: accept
call 7
and %r0, 7
mov %r1, %r10
add %r1, -16
add %r1, %r0
stb [%r1+0], 1
mov %r0, 0
exit

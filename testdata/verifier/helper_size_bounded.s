# prog: xdp
# expect: accept
call 7
mov %r2, %r0
and %r2, 7
add %r2, 1
mov %r1, %r10
add %r1, -8
call 6
mov %r0, 0
exit

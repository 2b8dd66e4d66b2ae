# prog: xdp
# expect: reject "R2 unbounded memory access"
call 7
mov %r2, %r0
mov %r1, %r10
add %r1, -8
call 6
mov %r0, 0
exit

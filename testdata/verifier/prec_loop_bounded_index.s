# prog: xdp
# expect: accept
# for (i = 0; i < 8; i++) buf[i] = i; over a stack array: the loop is walked to its bound.
mov %r1, 0
loop:
mov %r2, %r10
add %r2, -8
add %r2, %r1
stxb [%r2+0], %r1
add %r1, 1
jlt %r1, 8, loop
mov %r0, 2
exit

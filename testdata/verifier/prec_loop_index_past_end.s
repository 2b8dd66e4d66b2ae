# prog: xdp
# expect: reject EACCES "invalid write to stack R2 off=0 size=1"
# The same loop with i <= 8 writes one byte past the array (at i = 8, a known offset: the loop is walked).
mov %r1, 0
loop:
mov %r2, %r10
add %r2, -8
add %r2, %r1
stxb [%r2+0], %r1
add %r1, 1
jle %r1, 8, loop
mov %r0, 2
exit

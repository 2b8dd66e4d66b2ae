# prog: xdp
# expect: reject EACCES "R2 min value is negative, either use unsigned or 'var &= const'"
# A size that may be negative.
call 7
mov %r2, %r0
mov %r1, %r10
add %r1, -8
call 6
mov %r0, 0
exit

# prog: xdp
# expect: reject EACCES "R2 unbounded memory access, use 'var &= const' or 'if (var < const)'"
# A non-negative size with no upper bound.
call 7
mov %r2, %r0
and %r2, 0x3fffffff
add %r2, 1
mov %r1, %r10
add %r1, -8
call 6
mov %r0, 0
exit

# prog: xdp
# map: array key=4 value=24 max=1 timer=8
# expect: reject EACCES "R2 type=scalar expected=func"
# The callback argument must be a function's address.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
mov %r1, %r6
add %r1, 8
mov %r2, 0
call 170
mov %r0, 2
exit

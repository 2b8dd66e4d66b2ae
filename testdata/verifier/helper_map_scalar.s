# prog: xdp
# map: hash key=4 value=8 max=16
# expect: reject EACCES "R1 type=scalar expected=map_ptr"
mov %r2, %r10
add %r2, -4
mov %r1, 0
call 1
mov %r0, 0
exit

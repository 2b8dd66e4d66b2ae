# prog: xdp
# map: hash key=4 value=8 max=16
# expect: reject EACCES "R0 pointer arithmetic on map_value_or_null prohibited, null-check it first"
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
add %r0, 4
mov %r0, 0
exit

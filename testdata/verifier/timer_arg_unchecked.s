# prog: xdp
# map: hash key=4 value=24 max=16 timer=8
# expect: reject EACCES "R1 type=map_value_or_null expected=map_value"
# A hash lookup may fail: the value must be checked before its timer is used.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r1, %r0
lddw %r2, map:0
mov %r3, 1
call 169
mov %r0, 2
exit

# prog: xdp
# map: hash key=4 value=8 max=16
# expect: reject EACCES "R0 invalid mem access 'map_value_or_null'"
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
ldxdw %r0, [%r0+0]
exit

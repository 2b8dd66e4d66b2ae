# prog: xdp
# map: array key=4 value=8 max=4
# expect: reject EACCES "R0 invalid mem access 'map_value_or_null'"
# An unknown key can be out of range.
call 7
stxw [%r10-8], %r0
mov %r2, %r10
add %r2, -8
lddw %r1, map:0
call 1
ldxdw %r0, [%r0+0]
mov %r0, 2
exit

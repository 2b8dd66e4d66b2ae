# prog: xdp
# map: array key=4 value=8 max=4
# expect: reject EACCES "R0 invalid mem access 'map_value_or_null'"
# A non-zero constant stored at an unaligned slot is not tracked: the key is unknown.
stw [%r10-4], 3
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
ldxdw %r0, [%r0+0]
mov %r0, 2
exit

# prog: xdp
# map: hash key=4 value=8 max=16
# expect: reject EACCES "invalid access to map value, value_size=8 off=4 size=8"
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
jeq %r0, 0, +2
ldxdw %r1, [%r0+4]
mov %r0, 0
exit

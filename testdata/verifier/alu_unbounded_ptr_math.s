# prog: xdp
# map: hash key=4 value=8 max=16
# expect: reject EINVAL "math between map_value pointer and register with unbounded min value is not allowed"
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
jeq %r0, 0, +4
ldxdw %r1, [%r0+0]
add %r0, %r1
mov %r0, 0
exit
mov %r0, 0
exit

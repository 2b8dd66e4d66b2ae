# prog: xdp
# map: array key=4 value=16 max=1
# global: zero(int)
# expect: reject EINVAL "math between map_value pointer and register with unbounded min value is not allowed"
# The caller sees an unknown scalar come back, not the 0 the function returns: used as an offset
# it is unbounded.
mov %r1, 1
call local zero
mov %r6, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
add %r0, %r6
ldxb %r0, [%r0]
out:
exit
zero:
mov %r0, 0
exit

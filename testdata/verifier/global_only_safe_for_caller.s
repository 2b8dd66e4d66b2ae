# prog: xdp
# map: array key=4 value=16 max=1
# global: get(int)
# expect: reject EINVAL "math between map_value pointer and register with unbounded min value is not allowed"
# The caller passes 3, a fine index into the 16-byte value, but a global function is verified once
# for every int its prototype allows, not with its caller's values: get() must bound idx itself.
mov %r1, 3
call local get
exit
get:
mov %r6, %r1
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

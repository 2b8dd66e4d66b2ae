# prog: xdp
# map: array key=4 value=16 max=1
# expect: reject EINVAL "math between map_value pointer and register with unbounded min value is not allowed"
# w1 = w0 + 8 wraps: r1 <= 15 leaves r0 in [0, 7] or near 2^32, zero-extended: unbounded.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
mov %r1, %r0
add32 %r1, 8
jgt %r1, 15, out
add %r6, %r0
ldxdw %r0, [%r6+0]
out:
mov %r0, 2
exit

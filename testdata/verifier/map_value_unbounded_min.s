# prog: xdp
# map: array key=4 value=16 max=4
# expect: reject EINVAL "math between map_value pointer and register with unbounded min value is not allowed"
# Only an upper signed bound: pointer arithmetic with it is refused outright.
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
jsgt %r0, 4, out
add %r6, %r0
ldxb %r0, [%r6+0]
out:
mov %r0, 0
exit

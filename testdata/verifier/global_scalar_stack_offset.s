# prog: xdp
# global: peek(int)
# expect: reject EINVAL "math between fp pointer and register with unbounded min value is not allowed"
# A scalar argument used as a stack offset: unknown, so unbounded, even though the caller passes 0.
mov %r1, 0
call local peek
exit
peek:
stdw [%r10-8], 0
mov %r2, %r10
add %r2, -8
add %r2, %r1
ldxb %r0, [%r2]
exit

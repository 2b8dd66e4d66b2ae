# prog: xdp
# expect: reject EINVAL "math between fp pointer and register with unbounded min value is not allowed"
# ... without the mask the index could be anything.
stdw [%r10-8], 0
mov %r1, 100
lddw %r2, func:cb
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 181
mov %r0, 2
exit
cb:
add %r2, %r1
stb [%r2+0], 1
mov %r0, 0
exit

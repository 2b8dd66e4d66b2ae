# prog: xdp
# expect: accept
# The callback indexes an 8-byte array on the caller's stack with (index & 7), through ctx.
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
and %r1, 7
add %r2, %r1
stb [%r2+0], 1
mov %r0, 0
exit

# prog: xdp
# expect: reject EINVAL "cannot return stack pointer to the caller"
# No callee returns a stack pointer, even one into its caller's frame.
mov %r1, 4
lddw %r2, func:cb
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 181
mov %r0, 2
exit
cb:
mov %r0, %r2
exit

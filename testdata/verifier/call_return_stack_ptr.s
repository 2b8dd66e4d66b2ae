# prog: xdp
# expect: reject EINVAL "cannot return stack pointer to the caller"
# A callee's stack is gone when it returns.
call local f
exit
f:
mov %r0, %r10
add %r0, -8
exit

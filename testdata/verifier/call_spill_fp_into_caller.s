# prog: xdp
# expect: reject EINVAL "cannot spill pointers to stack into stack frame of the caller"
# ... but may not leave a pointer to its own stack there.
mov %r1, %r10
add %r1, -8
call local f
mov %r0, 2
exit
f:
mov %r2, %r10
add %r2, -16
stxdw [%r1+0], %r2
mov %r0, 0
exit

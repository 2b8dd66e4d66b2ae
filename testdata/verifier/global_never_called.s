# prog: xdp
# global: broken(int)
# expect: accept
# The call is dead code (R1 is 3): the kernel verifies only global functions that verified code
# calls, so broken(), which dereferences a scalar, is never looked at.
mov %r1, 3
jeq %r1, 3, skip
call local broken
skip:
mov %r0, 2
exit
broken:
ldxdw %r0, [%r1]
exit

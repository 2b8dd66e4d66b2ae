# prog: xdp
# expect: accept
# A counter in the caller's stack, incremented by each of 16 iterations.
stdw [%r10-8], 0
mov %r1, 16
lddw %r2, func:cb
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 181
ldxdw %r0, [%r10-8]
mov %r0, 2
exit
cb:
ldxdw %r1, [%r2+0]
add %r1, 1
stxdw [%r2+0], %r1
mov %r0, 0
exit

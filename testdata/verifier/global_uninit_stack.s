# prog: xdp
# global: fill(ptr:16 arg:nonnull, long, enum)
# expect: accept
# Root may pass stack it has not written; the callee may write all of it, so afterwards the
# caller's bytes there are unknown (spilled registers included).
stdw [%r10-8], 3
mov %r1, %r10
add %r1, -16
mov %r2, 1
mov %r3, 0
call local fill
ldxdw %r0, [%r10-8]
exit
fill:
stdw [%r1], 0
stdw [%r1+8], 0
mov %r0, %r2
add %r0, %r3
exit

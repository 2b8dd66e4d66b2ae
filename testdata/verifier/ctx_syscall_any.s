# prog: syscall
# expect: accept
ldxdw %r0, [%r1+64]
stxdw [%r1+8], %r0
mov %r0, 0
exit

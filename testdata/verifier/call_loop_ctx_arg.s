# prog: xdp
# expect: accept
# bpf_loop(4, cb, &sum, 0): the callback gets the loop index in R1 and the caller's R3 (a pointer
# to the caller's stack) in R2, and may read and write through it.
mov %r6, 0
stxdw [%r10-8], %r6
mov %r1, 4
lddw %r2, func:cb
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 181
mov %r0, 2
exit
cb:
ldxdw %r3, [%r2+0]
add %r3, %r1
stxdw [%r2+0], %r3
mov %r0, 0
exit

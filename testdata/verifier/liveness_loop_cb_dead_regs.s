# prog: xdp
# expect: accept
# An outer loop around bpf_loop: at the call, the state saved on the first pass (still being
# explored) covers the third pass although R0 and R5, dead there, differ; the callback reads and
# writes the caller's fp-16, so the liveness facts cross the callback's call chain. (From the
# fuzzer: comparing the dead registers there misses the convergence and ends in a false
# infinite-loop report.)
mov %r6, %r1
ldxw %r7, [%r6+0]
ldxw %r8, [%r6+4]
mov %r0, 1
mov %r2, 0
mov %r3, 7
mov %r4, 3
mov %r5, -1
mov %r9, 3
mov %r9, 0
loop:
stdw [%r10-16], 0
mov %r1, 2
lddw %r2, func:cb
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 181
mov %r0, 2
mov %r3, -1
mov %r4, -2147483648
mov %r5, 2
neg %r9
add %r9, 1
jlt %r9, 3, loop
and %r0, 3
exit
cb:
ldxdw %r3, [%r2+0]
add %r3, %r1
stxdw [%r2+0], %r3
mov %r0, 0
exit

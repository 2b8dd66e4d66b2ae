# prog: sched_cls
# map: hash key=4 value=16 max=16 lock=0
# expect: accept
# A static subprogram may be called with the lock held (it runs under the same lock).
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
mov %r1, %r6
call local bump
mov %r1, %r6
call 94
out:
mov %r0, 0
exit
bump:
ldxdw %r2, [%r1+8]
add %r2, 1
stxdw [%r1+8], %r2
mov %r0, 0
exit

# prog: sched_cls
# map: hash key=4 value=16 max=16 lock=0
# expect: accept
# Lock, update the value, unlock.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
ldxdw %r1, [%r6+8]
add %r1, 1
stxdw [%r6+8], %r1
mov %r1, %r6
call 94
out:
mov %r0, 0
exit

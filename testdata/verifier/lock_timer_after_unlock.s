# prog: sched_cls
# map: hash key=4 value=32 max=16 lock=0 timer=8
# expect: accept
# ... but after the unlock the timer may be started.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
stdw [%r6+24], 1
mov %r1, %r6
call 94
mov %r1, %r6
add %r1, 8
mov %r2, 1000
mov %r3, 0
call 171
out:
mov %r0, 0
exit

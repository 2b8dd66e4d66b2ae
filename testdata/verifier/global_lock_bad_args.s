# prog: sched_cls
# map: hash key=4 value=16 max=16 lock=0
# global: bump(int)
# expect: reject EINVAL "global function calls are not allowed while holding a lock"
# The arguments are checked (and their complaint logged) before the lock is.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
mov %r1, %r10
call local bump
mov %r1, %r6
call 94
out:
mov %r0, 0
exit
bump:
mov %r0, 0
exit

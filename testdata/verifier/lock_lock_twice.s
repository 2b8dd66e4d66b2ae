# prog: sched_cls
# map: hash key=4 value=16 max=16 lock=0
# expect: reject EINVAL "function calls are not allowed while holding a lock"
# A second bpf_spin_lock is a helper call under the lock: refused before any lock rule.
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
call 93
out:
mov %r0, 0
exit

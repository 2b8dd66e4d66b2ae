# prog: sched_cls
# map: hash key=4 value=32 max=16 lock=0 timer=8
# expect: reject EINVAL "function calls are not allowed while holding a lock"
# Timer helpers included: bpf_timer_start under the value's own lock is refused.
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
add %r1, 8
mov %r2, 1000
mov %r3, 0
call 171
mov %r1, %r6
call 94
out:
mov %r0, 0
exit

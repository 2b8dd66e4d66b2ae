# prog: sched_cls
# map: hash key=4 value=16 max=16 lock=0
# expect: reject EINVAL "function calls are not allowed while holding a lock"
# bpf_loop is a helper call: not under a lock.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
mov %r1, 4
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 181
mov %r1, %r6
call 94
out:
mov %r0, 0
exit
cb:
mov %r0, 0
exit

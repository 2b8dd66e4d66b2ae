# prog: sched_cls
# map: hash key=4 value=16 max=16 lock=8
# expect: reject EINVAL "off 0 doesn't point to 'struct bpf_spin_lock' that is at 8"
# The lock is at 8, not at the start of the value.
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
call 94
out:
mov %r0, 0
exit

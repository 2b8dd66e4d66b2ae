# prog: sched_cls
# map: hash key=4 value=16 max=16 lock=0
# expect: reject EINVAL "R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset"
# The lock pointer must have a known offset.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
and %r0, 8
mov %r1, %r6
add %r1, %r0
call 93
out:
mov %r0, 0
exit

# prog: sched_cls
# map: hash key=4 value=16 max=16 lock=0
# expect: reject EINVAL "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region"
# A legacy packet load may end the program: not with the lock held.
mov %r7, %r1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
mov %r6, %r7
ldabsb 0
out:
mov %r0, 0
exit

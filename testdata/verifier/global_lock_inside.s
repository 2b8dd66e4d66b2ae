# prog: sched_cls
# map: hash key=4 value=16 max=16 lock=0
# global: take(int)
# expect: reject EINVAL "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region"
# A global function verified on its own is an outermost frame: leaving it with the lock held is
# leaving the program with it.
mov %r1, 0
call local take
mov %r0, 0
exit
take:
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r1, %r0
call 93
out:
mov %r0, 0
exit

# prog: sched_cls
# map: hash key=4 value=16 max=16
# expect: reject EINVAL "map 'm0' has to have BTF in order to use bpf_spin_lock"
# A lock needs BTF to be found.
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

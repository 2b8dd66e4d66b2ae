# prog: sched_cls
# map: hash key=4 value=16 max=16 lock=0
# expect: reject EACCES "bpf_spin_lock cannot be accessed directly by load/store"
# The lock word is not the program's to read.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
ldxw %r0, [%r6+0]
out:
mov %r0, 0
exit

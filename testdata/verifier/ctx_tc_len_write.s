# prog: sched_cls
# expect: reject EACCES "invalid bpf_context access off=0 size=4"
stw [%r1+0], 1
mov %r0, 0
exit

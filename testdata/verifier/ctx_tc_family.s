# prog: sched_cls
# expect: reject EACCES "invalid bpf_context access off=88 size=4"
ldxw %r0, [%r1+88]
exit

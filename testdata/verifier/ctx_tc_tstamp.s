# prog: sched_cls
# expect: accept
ldxdw %r0, [%r1+152]
mov %r0, 0
exit

# prog: kprobe
# expect: accept
ldxdw %r0, [%r1+112]
mov %r0, 0
exit

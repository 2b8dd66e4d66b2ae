# prog: socket
# map: hash key=4 value=16 max=16 lock=0
# expect: reject EINVAL "socket filter progs cannot use bpf_spin_lock yet"
# Nor socket filters.
lddw %r1, map:0
mov %r0, 0
exit

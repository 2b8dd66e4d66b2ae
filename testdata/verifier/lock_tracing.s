# prog: kprobe
# map: hash key=4 value=16 max=16 lock=0
# expect: reject EINVAL "tracing progs cannot use bpf_spin_lock yet"
# Tracing programs may not use maps with a lock (checked when the map is named).
lddw %r1, map:0
mov %r0, 0
exit

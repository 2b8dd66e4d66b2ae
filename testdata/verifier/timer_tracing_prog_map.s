# prog: kprobe
# map: hash key=4 value=24 max=16 timer=8
# expect: reject EINVAL "tracing progs cannot use bpf_timer yet"
# B66: a kprobe program may not even reference a map whose value holds a bpf_timer.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r0, 0
exit

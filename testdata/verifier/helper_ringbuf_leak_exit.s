# prog: xdp
# map: ringbuf key=0 value=0 max=4096
# expect: reject EINVAL "BPF_EXIT instruction in main prog would lead to reference leak"
# The same leak on a path where the record was checked non-NULL.
lddw %r1, map:0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
stdw [%r0+0], 1
out:
mov %r0, 0
exit

# prog: kprobe
# expect: reject EACCES "invalid bpf_context access off=0 size=8"
stdw [%r1+0], 0
mov %r0, 0
exit

# prog: xdp
# expect: reject EACCES "invalid bpf_context access off=12 size=4"
stw [%r1+12], 0
mov %r0, 0
exit

# prog: socket
# expect: reject EACCES "invalid bpf_context access off=8 size=4"
stw [%r1+8], 1
mov %r0, 0
exit

# prog: socket
# expect: reject EINVAL "program of this type cannot use helper bpf_redirect#23"
mov %r1, 0
mov %r2, 0
call 23
mov %r0, 0
exit

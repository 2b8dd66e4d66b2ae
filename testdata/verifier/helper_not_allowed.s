# prog: socket
# expect: reject "program of this type cannot use helper bpf_redirect#23"
mov %r1, 0
mov %r2, 0
call 23
mov %r0, 0
exit

# prog: xdp
# expect: accept
# bpf_find_vma and bpf_get_current_task_btf are base helpers: XDP may call them too.
call 158
mov %r1, %r0
mov %r2, 0
lddw %r3, func:cb
mov %r4, 0
mov %r5, 0
call 180
mov %r0, 2
exit
cb:
mov %r0, 0
exit

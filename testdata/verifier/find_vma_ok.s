# prog: kprobe
# expect: accept
# bpf_find_vma(task, addr, cb, ctx, 0) with the current task: the callback gets (task, vma, ctx).
call 158
mov %r1, %r0
mov %r2, 0
lddw %r3, func:cb
mov %r4, 0
mov %r5, 0
call 180
mov %r0, 0
exit
cb:
mov %r0, 0
exit

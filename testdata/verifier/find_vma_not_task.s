# prog: kprobe
# expect: reject EACCES "R1 type=ctx expected=ptr_, trusted_ptr_, rcu_ptr_"
# Its first argument is a task_struct pointer.
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

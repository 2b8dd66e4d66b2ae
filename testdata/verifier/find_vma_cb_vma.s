# prog: kprobe
# expect: reject EACCES "R3 type=ptr_ expected=fp"
# The callback's second argument is the vm_area_struct found: a BTF pointer, not stack memory.
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
mov %r3, %r2
lddw %r2, func:cb2
mov %r1, 1
mov %r4, 0
call 181
mov %r0, 0
exit
cb2:
mov %r0, 0
exit

# prog: xdp
# expect: reject EACCES "R3 type=ctx expected=fp"
# Its context argument is a stack pointer (or NULL).
mov %r3, %r1
mov %r1, 4
lddw %r2, func:cb
mov %r4, 0
call 181
mov %r0, 2
exit
cb:
mov %r0, 0
exit

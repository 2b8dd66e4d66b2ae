# prog: xdp
# expect: reject EACCES "R3 !read_ok"
# The callback gets (index, ctx): R3 holds nothing.
mov %r1, 4
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 2
exit
cb:
mov %r0, %r3
mov %r0, 0
exit

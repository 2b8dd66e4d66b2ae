# prog: xdp
# map: array key=4 value=16 max=16
# expect: reject EACCES "R5 !read_ok"
# Four arguments: R5 holds nothing.
lddw %r1, map:0
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 2
exit
cb:
mov %r0, %r5
mov %r0, 0
exit

# prog: xdp
# expect: reject EACCES "R9 !read_ok"
call 7
and %r0, 255
jgt %r0, 200, +1
ja +1
ldxdw %r0, [%r9+0]
mov %r0, 0
exit

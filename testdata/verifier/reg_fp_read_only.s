# prog: xdp
# expect: reject EACCES "frame pointer is read only"
mov %r10, 0
mov %r0, 0
exit

# prog: xdp
# expect: reject EINVAL "call to invalid destination"
mov %r0, 0
call local 5
exit

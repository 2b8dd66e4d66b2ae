# prog: xdp
# expect: reject EINVAL "invalid func unknown#999999"
call 999999
mov %r0, 0
exit

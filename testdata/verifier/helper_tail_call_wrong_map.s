# prog: xdp
# map: hash key=4 value=8 max=16
# expect: reject EINVAL "expected prog array map for tail call"
lddw %r2, map:0
mov %r3, 0
call 12
mov %r0, 0
exit

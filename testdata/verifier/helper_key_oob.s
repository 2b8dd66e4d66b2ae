# prog: xdp
# map: hash key=4 value=8 max=16
# expect: reject EINVAL "invalid read from stack R2 off=-2 size=4"
mov %r2, %r10
add %r2, -2
lddw %r1, map:0
call 1
mov %r0, 0
exit

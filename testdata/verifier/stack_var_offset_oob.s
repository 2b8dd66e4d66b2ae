# prog: xdp
# expect: reject EINVAL "invalid variable-offset write to stack R1"
call 7
and %r0, 15
mov %r1, %r10
add %r1, -8
add %r1, %r0
stb [%r1+0], 1
mov %r0, 0
exit

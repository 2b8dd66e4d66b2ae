# prog: xdp
# expect: accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
mov %r0, 1
jgt %r4, %r3, +1
stb [%r2+0], 0
exit

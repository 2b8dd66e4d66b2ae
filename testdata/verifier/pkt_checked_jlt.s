# prog: xdp
# expect: accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 8
mov %r0, 1
jge %r3, %r4, +1
exit
ldxdw %r0, [%r2+0]
exit

# prog: xdp
# expect: reject EACCES "R2 offset is outside of the packet"
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
mov %r0, 1
jgt %r4, %r3, +1
ldxb %r0, [%r2+14]
exit

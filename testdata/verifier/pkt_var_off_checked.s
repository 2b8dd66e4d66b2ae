# prog: xdp
# expect: accept
# A packet pointer with a variable offset (a header length read from the packet) is checked
# against data_end as `p + 20`; a load at p+12 then needs only the fixed offset inside the range.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r0, 1
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
and %r5, 0x3c
mov %r6, %r2
add %r6, %r5
mov %r7, %r6
add %r7, 20
jgt %r7, %r3, out
ldxh %r0, [%r6+12]
out:
exit

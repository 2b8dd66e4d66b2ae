# prog: xdp
# map: array key=4 value=16 max=1
# expect: reject EACCES "R6 max value is outside of the allowed memory range"
# A 64-bit delta past S32_MAX (0x80000000 from a register) is not kept: r0 stays unbounded by the check.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
and %r0, 0xff
lddw %r3, 0x80000000
lddw %r4, 0x80000007
mov %r1, %r0
add %r1, %r3
jgt %r1, %r4, out
add %r6, %r0
ldxdw %r0, [%r6+0]
out:
mov %r0, 2
exit

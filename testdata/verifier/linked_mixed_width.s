# prog: xdp
# map: array key=4 value=16 max=1
# expect: reject EACCES "R6 max value is outside of the allowed memory range"
# r1 = w0 + 1 (32-bit delta) and r2 = r0 + 2 (64-bit delta): the sync skips links of mixed widths.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
and %r0, 0xff
mov %r1, %r0
add32 %r1, 1
mov %r2, %r0
add %r2, 2
jgt %r1, 8, out
add %r6, %r2
ldxdw %r0, [%r6+0]
out:
mov %r0, 2
exit

# prog: xdp
# map: array key=4 value=16 max=4
# expect: reject EACCES "R6 max value is outside of the allowed memory range"
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
mov %r6, %r0
jeq %r6, 0, +5
call 7
and %r0, 15
add %r6, %r0
ldxdw %r0, [%r6+0]
mov %r0, 0
exit

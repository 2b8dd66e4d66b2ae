# prog: xdp
# map: array key=4 value=16 max=1
# expect: accept
# Both signed bounds: 0 <= i <= 8 as signed compares.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
call 7
jsgt %r0, 8, out
jslt %r0, 0, out
add %r6, %r0
ldxdw %r0, [%r6+0]
out:
mov %r0, 2
exit

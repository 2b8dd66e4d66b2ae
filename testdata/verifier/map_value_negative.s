# prog: xdp
# map: array key=4 value=16 max=4
# expect: reject EACCES "R6 min value is negative, either use unsigned index or do a if (index >=0) check."
# A signed index bounded to [-4, 4]: the negative half is out of the value.
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
jsgt %r0, 4, out
jslt %r0, -4, out
add %r6, %r0
ldxb %r0, [%r6+0]
out:
mov %r0, 0
exit

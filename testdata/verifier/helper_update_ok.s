# prog: xdp
# map: hash key=4 value=8 max=16
# expect: accept
stw [%r10-4], 0
stdw [%r10-16], 0
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
lddw %r1, map:0
call 2
mov %r0, 0
exit

# prog: xdp
# map: hash key=4 value=8 max=16
# expect: accept
mov %r2, %r10
add %r2, -4
stw [%r10-4], 0
lddw %r1, map:0
call 1
jeq %r0, 0, +1
stdw [%r0+0], 1
mov %r0, 0
exit

# prog: xdp
# expect: accept
stdw [%r10-8], 3
mov %r1, %r10
add %r1, -8
call local f
exit
f: ldxdw %r0, [%r1+0]
exit

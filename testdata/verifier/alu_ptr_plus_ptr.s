# prog: xdp
# expect: reject EACCES "R1 pointer += pointer prohibited"
mov %r0, 0
mov %r2, %r10
add %r1, %r2
exit

# prog: xdp
# expect: reject EACCES "R1 subtraction from stack pointer prohibited"
mov %r0, 0
mov %r1, %r10
sub %r1, 8
exit

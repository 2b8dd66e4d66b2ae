# prog: xdp
# expect: reject "R1 pointer arithmetic with neg operator prohibited"
neg %r1
mov %r0, 0
exit

# prog: xdp
# expect: reject "BPF program is too large"
mov %r0, 0
mov %r1, 0
l: add %r1, 1
jlt %r1, 2000000, l
exit

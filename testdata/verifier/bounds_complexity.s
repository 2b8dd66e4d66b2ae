# prog: xdp
# expect: reject "BPF program is too large"
# (E2BIG; the kernel answers ENOSPC when, as here, the level-1 log of the long path overflows its buffer)
mov %r0, 0
mov %r1, 0
l: add %r1, 1
jlt %r1, 2000000, l
exit

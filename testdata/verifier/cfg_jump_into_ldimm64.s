# prog: xdp
# expect: reject EINVAL "jump into the middle of ldimm64 insn 2"
mov %r0, 0
jeq %r1, 0, +1
lddw %r2, 5
exit

# prog: xdp
# expect: reject EINVAL "jump out of range from insn 1 to 7"
mov %r0, 0
ja +5
exit

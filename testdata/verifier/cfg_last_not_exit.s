# prog: xdp
# expect: reject EINVAL "last insn is not an exit or jmp"
mov %r0, 0
exit
mov %r0, 1

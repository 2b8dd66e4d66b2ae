# prog: xdp
# expect: accept
# A forward ja over an exit and a backward ja onto it: every insn is reachable, no loop.
mov %r0, 2
ja +1
exit
ja -2

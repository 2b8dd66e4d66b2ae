# prog: xdp
# expect: accept
call 7
and %r0, 6
jset %r0, 1, +1
ja +1
ldxdw %r0, [%r9+0]
mov %r0, 0
exit

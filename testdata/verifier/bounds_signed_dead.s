# prog: xdp
# expect: accept
call 7
and %r0, 255
jslt %r0, 0, +1
ja +1
ldxdw %r0, [%r9+0]
mov %r0, 0
exit

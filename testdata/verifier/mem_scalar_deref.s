# prog: xdp
# expect: reject EACCES "R1 invalid mem access 'scalar'"
mov %r1, 0
ldxw %r0, [%r1+0]
exit

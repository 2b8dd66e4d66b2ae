# prog: xdp
# expect: reject EACCES "R1 invalid mem access 'scalar'"
# ... and the negated pointer is no longer one.
neg %r1
ldxw %r0, [%r1+0]
exit

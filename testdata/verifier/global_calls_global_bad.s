# prog: xdp
# global: outer(int)
# global: inner(int)
# expect: reject EACCES "R1 invalid mem access 'scalar'"
# The main program and outer() verify; inner() dereferences its scalar argument.
mov %r1, 1
call local outer
exit
outer:
call local inner
exit
inner:
ldxdw %r0, [%r1]
exit

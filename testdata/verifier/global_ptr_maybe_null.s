# prog: xdp
# global: first(ptr:8)
# expect: reject EACCES "R1 invalid mem access 'mem_or_null'"
# A pointer argument may be NULL: reading through it unchecked is refused, even though the caller
# passes its stack.
stdw [%r10-8], 7
mov %r1, %r10
add %r1, -8
call local first
exit
first:
ldxdw %r0, [%r1]
exit

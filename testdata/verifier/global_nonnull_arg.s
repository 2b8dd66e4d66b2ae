# prog: xdp
# global: first(ptr:8 arg:nonnull)
# expect: accept
# With the arg:nonnull decl tag the pointer is not NULL: no check needed.
stdw [%r10-8], 7
mov %r1, %r10
add %r1, -8
call local first
exit
first:
ldxdw %r0, [%r1]
stdw [%r1], 0
exit

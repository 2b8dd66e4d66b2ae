# prog: xdp
# map: hash key=4 value=8 max=4
# global: first(ptr:8 arg:nonnull)
# expect: reject EINVAL "Caller passes invalid args into func#1 ('first')"
# A map lookup's result may be NULL: it cannot go to an arg:nonnull pointer unchecked.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r1, %r0
call local first
exit
first:
ldxdw %r0, [%r1]
exit

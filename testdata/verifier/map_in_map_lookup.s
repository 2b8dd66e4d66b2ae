# prog: xdp
# map: array key=4 value=8 max=1
# map: array_of_maps key=4 value=4 max=1 inner=0
# expect: accept
# A lookup in a map-in-map yields the inner map once null-checked: it can be passed as the map
# of a second lookup, whose value is the inner map's.
mov %r6, 0
stxw [%r10-4], %r6
lddw %r1, map:1
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r1, %r0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxdw %r6, [%r0+0]
out:
mov %r0, 2
exit

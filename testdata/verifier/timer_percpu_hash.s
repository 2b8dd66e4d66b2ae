# prog: xdp
# map: percpu_hash key=4 value=24 max=1 timer=8
# expect: map_create EOPNOTSUPP
# Nor per-CPU hash maps.
mov %r0, 2
exit

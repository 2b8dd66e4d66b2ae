# prog: xdp
# map: hash key=4 value=8 max=16
# expect: reject EACCES "R1 pointer arithmetic on map_ptr prohibited"
lddw %r1, map:0
add %r1, 8
mov %r0, 0
exit

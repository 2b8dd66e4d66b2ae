# prog: xdp
# map: hash key=4 value=8 max=16
# expect: reject EACCES "R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value"
mov %r2, 0
lddw %r1, map:0
call 1
mov %r0, 0
exit

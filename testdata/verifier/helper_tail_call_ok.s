# prog: xdp
# map: prog_array key=4 value=4 max=4
# expect: accept
lddw %r2, map:0
mov %r3, 0
call 12
mov %r0, 0
exit

# prog: xdp
# map: array key=4 value=8 max=1
# expect: reject EACCES "R0 not a scalar value"
# ... a scalar.
mov %r1, 4
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 2
exit
cb:
lddw %r0, map:0
exit

# prog: xdp
# map: array key=4 value=16 max=16
# expect: reject EACCES "invalid access to map value, value_size=16 off=16 size=4"
# The value is value_size bytes.
lddw %r1, map:0
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 2
exit
cb:
ldxw %r0, [%r3+16]
mov %r0, 0
exit

# prog: xdp
# map: hash key=4 value=24 max=16 timer=8
# expect: reject EACCES "R1 type=fp expected=map_value"
# The timer must live in a map value, not on the stack.
mov %r1, %r10
add %r1, -16
lddw %r2, map:0
mov %r3, 1
call 169
mov %r0, 2
exit

# prog: xdp
# map: array key=4 value=16 max=1
# global: get(int)
# expect: accept
# The same function bounding its argument is safe for any int, whatever the caller passes.
mov %r1, 3
call local get
exit
get:
mov %r6, %r1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
jgt %r6, 15, none
add %r0, %r6
ldxb %r0, [%r0]
out:
exit
none:
mov %r0, 0
exit

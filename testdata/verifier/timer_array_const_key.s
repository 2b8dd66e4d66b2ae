# prog: xdp
# map: array key=4 value=24 max=4 timer=8
# expect: accept
# An array lookup with a constant in-range key cannot fail: no NULL check is needed.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
mov %r1, %r6
add %r1, 8
lddw %r2, map:0
mov %r3, 1
call 169
mov %r0, 2
exit

# prog: xdp
# map: array key=4 value=16 max=1 lock=0
# expect: accept
# An array value's lock, found with a constant key (no NULL check needed).
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
mov %r1, %r6
call 93
stdw [%r6+8], 7
mov %r1, %r6
call 94
mov %r0, 2
exit

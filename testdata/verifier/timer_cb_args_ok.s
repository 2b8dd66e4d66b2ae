# prog: xdp
# map: hash key=8 value=32 max=16 timer=16
# expect: accept
# The callback gets (map, key, value): it may read the key and read and write the value around the timer.
stdw [%r10-8], 0
mov %r2, %r10
add %r2, -8
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r1, %r0
add %r1, 16
lddw %r2, func:cb
call 170
out:
mov %r0, 2
exit
cb:
ldxdw %r4, [%r2+0]
ldxdw %r5, [%r3+0]
add %r5, %r4
stxdw [%r3+8], %r5
mov %r0, 0
exit

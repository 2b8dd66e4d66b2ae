# prog: xdp
# map: array key=4 value=24 max=1 timer=8
# expect: accept
# A computed return value is fine when it is proved to be 0.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
mov %r1, %r6
add %r1, 8
lddw %r2, func:cb
call 170
mov %r0, 2
exit
cb:
call 7
and %r0, 1
jeq %r0, 0, done
mov %r0, 0
done:
exit

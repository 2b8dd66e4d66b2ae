# prog: sched_cls
# expect: accept
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r4, %r2
add %r4, 4
mov %r0, 0
jgt %r4, %r3, +1
ldxw %r0, [%r2+0]
exit

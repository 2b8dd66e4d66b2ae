# prog: xdp
# map: array key=4 value=24 max=1 timer=8
# global: count(int)
# expect: accept
# A static timer callback calls a global function: checked at the callback's call site, verified
# on its own after the main program.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r1, %r0
add %r1, 8
lddw %r2, func:cb
call 170
out:
mov %r0, 2
exit
cb:
mov %r1, 5
call local count
mov %r0, 0
exit
count:
mov %r0, %r1
exit

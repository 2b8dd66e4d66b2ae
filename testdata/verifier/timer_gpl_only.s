# prog: xdp
# license: MIT
# map: array key=4 value=24 max=1 timer=8
# expect: reject EINVAL "cannot call GPL-restricted function from non-GPL compatible program"
# Timer helpers are GPL-only.
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

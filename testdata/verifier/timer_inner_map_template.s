# prog: xdp
# map: array key=4 value=24 max=1 timer=8
# map: array_of_maps key=4 value=4 max=2 inner=0
# expect: reject EINVAL "timer pointer in R1 map_uid=1 doesn't match map pointer in R2 map_uid=0"
# The inner map template named directly is not the instance the timer lives in.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:1
call 1
jeq %r0, 0, out
mov %r7, %r0
mov %r2, %r10
add %r2, -4
lddw %r1, map:1
call 1
jeq %r0, 0, out
mov %r8, %r0
mov %r2, %r10
add %r2, -4
mov %r1, %r7
call 1
jeq %r0, 0, out
mov %r1, %r0
add %r1, 8
lddw %r2, map:0
mov %r3, 1
call 169
out:
mov %r0, 2
exit

# prog: xdp
# map: array key=4 value=24 max=1 timer=8
# expect: reject EINVAL "R1 doesn't have constant offset. bpf_timer has to be at the constant offset"
# The timer pointer's offset must be known exactly.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
call 7
and %r0, 8
mov %r1, %r6
add %r1, %r0
lddw %r2, map:0
mov %r3, 1
call 169
mov %r0, 2
exit

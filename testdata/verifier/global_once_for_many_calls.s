# prog: xdp
# global: spin(int)
# expect: accept
# Called in a 300-iteration loop, spin() (a 1000-iteration loop) is verified once: the kernel
# processes a few thousand instructions, where walking it inline at each call would pass the
# 1M limit.
mov %r6, 0
again:
mov %r1, %r6
call local spin
add %r6, 1
jlt %r6, 300, again
mov %r0, 2
exit
spin:
mov %r0, 0
loop:
add %r0, 1
jlt %r0, 1000, loop
exit

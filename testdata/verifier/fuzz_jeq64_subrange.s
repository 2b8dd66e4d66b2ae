# Found by differential fuzzing (seed 11 program 807): a 64-bit equality whose 64-bit ranges
# overlap is still decided by the 32-bit ones (here s32max 254 < 0xffff), so the load through a
# scalar is dead code.
# prog: xdp
# expect: accept
	call 7
	mov %r1, %r0
	jsgt32 %r1, 254, out
	jeq %r1, 0xffff, bad
out:	mov %r0, 0
	exit
bad:	ldxdw %r0, [%r0+0]
	exit

# Found by differential fuzzing (seed 7 program 1150, shrunk): stacksafe() walks the old state's
# allocated stack only, so a slot the current state wrote beyond it (fp-48) does not make
# the states differ, even under EXACT.
# prog: xdp
# map: array key=4 value=32 max=4
# map: hash key=4 value=16 max=8
# expect: reject EINVAL "infinite loop detected at insn 5"
	mov %r6, %r1
	mov %r0, -590503824
	mov %r4, -1
	mov %r5, 63
	mov %r9, 0
L5: jgt %r5, %r4, L17
	jset %r5, %r0, L9
	mov %r3, 99
	stxw [%r10-48], %r3
L9: mov %r2, %r10
	add %r2, -4
	lddw %r1, map:0
	call 1
	jeq %r0, 0, L15
L15: mov %r4, 255
	mov %r5, 64
L17: jlt %r9, 4, L5
	exit

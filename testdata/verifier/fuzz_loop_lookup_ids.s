# Found by differential fuzzing (seed 7 program 14, shrunk): states_maybe_looping() compares
# ids as numbers, so iterations whose map lookups hand out new ids are not a loop there.
# prog: xdp
# map: array key=4 value=32 max=4
# map: hash key=4 value=16 max=8
# expect: reject EINVAL "infinite loop detected at insn 11"
	lddw %r2, func:L15
	mov %r4, 31
	mov %r9, 0
L4: jgt %r4, %r2, L13
	mov %r2, %r10
	add %r2, -4
	lddw %r1, map:1
	call 1
	jeq %r0, 0, L11
L11: mov %r2, 64
	mov %r4, 1
L13: jlt %r9, 4, L4
	exit
L15: exit

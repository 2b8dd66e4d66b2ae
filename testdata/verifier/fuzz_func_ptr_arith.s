# Found by differential fuzzing (seed 7 program 357): arithmetic on a function's address is
# allowed (tsbpf refused it); the helper taking it refuses the moved pointer.
# prog: xdp
# expect: reject EACCES "dereference of modified func ptr R2 off=8 disallowed"
	stdw [%r10-16], 0
	mov %r1, 3
	lddw %r2, func:cb
	add %r2, 8
	mov %r3, %r10
	add %r3, -16
	mov %r4, 0
	call 181
	mov %r0, 0
	exit
cb:	mov %r0, 0
	exit

# Found by differential fuzzing (seed 7 programs 1287, 1428): root may sign-extend a pointer
# (movsx): the result is an unknown scalar, refused only when dereferenced.
# prog: xdp
# expect: reject EACCES "R2 invalid mem access 'scalar'"
	ldxw %r1, [%r1+0]
	movsx3264 %r2, %r1
	ldxb %r0, [%r2+0]
	exit

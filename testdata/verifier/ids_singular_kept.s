# Scalar ids held by one register survive a checkpoint on this kernel: 6.18.44 has no
# clear_singular_ids() (later kernels clear such an id, and its offset, in is_state_visited()
# before saving the state). After r0 and r6 are overwritten r1 alone holds id=1; the state saved
# at insn 10 (printed as the parent state of the precision walk) and the paths after it still
# show R1=scalar(id=1). Level-2 log checked against the kernel.
# prog: xdp
# expect: accept
	call 7
	mov %r1, %r0
	mov %r6, %r0
	mov %r0, 0
	mov %r2, 0
	mov %r3, 0
	mov %r4, 0
	mov %r6, 0
	jeq %r2, 1, l1
	mov %r5, 0
l1:
	jeq %r3, 1, l2
	mov %r5, 1
l2:
	jeq %r4, 1, l3
	mov %r5, 2
l3:
	mov %r7, 1
	mov %r8, 1
	mov %r9, 1
	jeq %r7, 1, l4
	mov %r5, 2
l4:
	jgt %r1, 5, l5
	mov %r0, 1
l5:
	exit

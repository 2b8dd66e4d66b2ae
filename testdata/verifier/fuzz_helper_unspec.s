# Found by differential fuzzing (seed 7 program 265): helper 0 (bpf_unspec) has an id in range, so
# the refusal is the program type's, not "invalid func".
# prog: xdp
# expect: reject EINVAL "program of this type cannot use helper bpf_unspec#0"
	call 0
	mov %r0, 0
	exit

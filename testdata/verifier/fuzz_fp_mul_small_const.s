# The companion of fuzz_fp_mul_const.s: with a constant inside BPF_MAX_VAR_OFF the operator
# check is reached, for scalar *= fp and fp *= scalar alike.
# prog: xdp
# expect: reject EACCES "R2 pointer arithmetic with *= operator prohibited"
	mov %r2, 8
	mul %r2, %r10
	exit

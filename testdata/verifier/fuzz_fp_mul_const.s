# Found by differential fuzzing (seed 11 program 2654): scalar *= fp. adjust_ptr_min_max_vals()
# checks the scalar's bounds (check_reg_sane_offset) before the operator, and the scalar, the
# destination, still holds its value then: the constant is refused, not the multiplication.
# prog: xdp
# expect: reject EINVAL "math between fp pointer and -2147483648 is not allowed"
	mov %r2, -2147483648
	mul %r2, %r10
	exit

# prog: xdp
# expect: reject EACCES "R2 invalid zero-sized read: u64=[0,9223372036854775807]"
# A size that may be 0, for an argument that must not be (ARG_CONST_SIZE).
call 7
mov %r2, %r0
rsh %r2, 1
mov %r1, %r10
add %r1, -8
call 6
mov %r0, 0
exit

# prog: xdp
# expect: reject EACCES "dereference of modified ctx ptr R1 off=4 disallowed"
add %r1, 4
mov %r2, 0
call 44
mov %r0, 0
exit

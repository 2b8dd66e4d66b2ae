# prog: xdp
# expect: reject EACCES "R2 type=scalar expected=func"
# bpf_loop's second argument is a callback.
mov %r1, 4
mov %r2, 0
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 2
exit

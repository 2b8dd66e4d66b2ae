# prog: xdp
# expect: reject EACCES "combined stack size of 2 calls is 608. Too large"
# A sync callback runs on its caller's stack: 304 + 304 bytes is too much.
stdw [%r10-304], 0
mov %r1, 4
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 2
exit
cb:
stdw [%r10-304], 0
mov %r0, 0
exit

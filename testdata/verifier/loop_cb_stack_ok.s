# prog: xdp
# expect: accept
# 256 + 256 bytes fits.
stdw [%r10-256], 0
mov %r1, 4
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 2
exit
cb:
stdw [%r10-256], 0
mov %r0, 0
exit

# prog: xdp
# expect: accept
# Two callees of 256 bytes called one after the other from a 256-byte frame: 512 at most.
stdw [%r10-256], 0
call local f1
call local f2
mov %r0, 2
exit
f1:
stdw [%r10-256], 0
mov %r0, 0
exit
f2:
stdw [%r10-256], 0
mov %r0, 0
exit

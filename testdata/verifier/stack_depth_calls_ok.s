# prog: xdp
# expect: accept
# Three frames of 160 bytes: 480 bytes.
stdw [%r10-160], 0
call local f1
mov %r0, 2
exit
f1:
stdw [%r10-160], 0
call local f2
mov %r0, 0
exit
f2:
stdw [%r10-160], 0
mov %r0, 0
exit

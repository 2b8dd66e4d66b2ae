# prog: kprobe
# expect: accept
# Tracing programs give frames of 64 bytes or more a private stack: 3 x 176 bytes is fine there.
stdw [%r10-176], 0
call local f1
mov %r0, 0
exit
f1:
stdw [%r10-176], 0
call local f2
mov %r0, 0
exit
f2:
stdw [%r10-176], 0
mov %r0, 0
exit

# prog: xdp
# expect: reject EACCES "combined stack size of 3 calls is 528. Too large"
# Three frames of 176 bytes: 528 bytes.
stdw [%r10-176], 0
call local f1
mov %r0, 2
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

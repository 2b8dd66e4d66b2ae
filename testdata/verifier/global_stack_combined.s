# prog: xdp
# global: deep(int)
# expect: reject EACCES "combined stack size of 2 calls is"
# A global function's frame still counts in the combined stack of its callers' chain.
stdw [%r10-320], 0
mov %r1, 0
call local deep
exit
deep:
stdw [%r10-256], 0
mov %r0, 0
exit

# prog: xdp
# expect: accept
# r1 is 5: the branch to the bad access is never taken and never checked.
mov %r1, 5
jgt %r1, 10, bad
mov %r0, 2
exit
bad:
ldxdw %r0, [%r1+0]
exit

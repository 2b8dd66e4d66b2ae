# prog: xdp
# map: array key=4 value=24 max=1 timer=8
# expect: reject EACCES "combined stack size of 2 calls is 560. Too large"
# A callback of 304 bytes calling a subprogram of 256: its own chain is too deep.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
mov %r1, %r6
add %r1, 8
lddw %r2, func:cb
call 170
mov %r0, 2
exit
cb:
stdw [%r10-304], 0
call local sub
mov %r0, 0
exit
sub:
stdw [%r10-256], 0
mov %r0, 0
exit

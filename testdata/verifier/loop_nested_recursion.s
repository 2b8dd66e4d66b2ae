# prog: xdp
# expect: reject E2BIG "the call stack of 9 frames is too deep"
# A callback that runs bpf_loop on itself nests without end: refused at the frame limit.
mov %r1, 4
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 2
exit
cb:
mov %r1, 4
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit

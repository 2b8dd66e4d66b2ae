# prog: xdp
# expect: reject E2BIG "the call stack of 9 frames is too deep"
call local f
exit
f: call local f
mov %r0, 0
exit

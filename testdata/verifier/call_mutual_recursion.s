# prog: xdp
# expect: reject E2BIG "the call stack of 9 frames is too deep"
# f calls g calls f: recursion is refused by the frame limit.
call local f
exit
f: call local g
exit
g: call local f
exit

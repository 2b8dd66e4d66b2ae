# prog: xdp
# expect: accept
# Root may negate a pointer: the result is an unknown scalar (unprivileged programs are refused).
neg %r1
mov %r0, 0
exit

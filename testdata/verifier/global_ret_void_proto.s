# prog: xdp
# global: nothing(int) -> void
# expect: reject EINVAL "Global function nothing() doesn't return scalar. Only those are supported."
# The prototype must return an int or an enum.
mov %r1, 1
call local nothing
mov %r0, 2
exit
nothing:
mov %r0, 0
exit

# prog: xdp
# global: twice(int)
# expect: reject EINVAL "Caller passes invalid args into func#1 ('twice')"
# An int parameter takes a scalar: the context pointer in R1 is refused at the call.
call local twice
exit
twice:
mov %r0, %r1
lsh %r0, 1
exit

# prog: xdp
# global: first(ptr:8)
# expect: reject EINVAL "Caller passes invalid args into func#1 ('first')"
# A pointer parameter takes NULL or memory of the pointee's size, not any other scalar.
mov %r1, 5
call local first
exit
first:
mov %r0, 0
exit

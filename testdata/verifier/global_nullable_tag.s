# prog: xdp
# global: first(ptr:8 arg:nullable)
# expect: reject EINVAL "Caller passes invalid args into func#1 ('first')"
# arg:nullable is for trusted kernel pointers only; on a plain memory pointer it is refused.
mov %r1, 0
call local first
exit
first:
mov %r0, 0
exit

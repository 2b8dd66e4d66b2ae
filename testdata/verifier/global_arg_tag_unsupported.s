# prog: xdp
# global: first(ptr:8 arg:foo)
# expect: reject EOPNOTSUPP "Caller passes invalid args into func#1 ('first')"
# An arg: decl tag the kernel does not know.
mov %r1, 0
call local first
exit
first:
mov %r0, 0
exit

# prog: xdp
# global: peek(ptr:8 arg:ctx)
# expect: reject EINVAL "Caller passes invalid args into func#1 ('peek')"
# arg:ctx on a pointer to some other struct: the kernel names the type it wants.
call local peek
exit
peek:
mov %r0, 0
exit

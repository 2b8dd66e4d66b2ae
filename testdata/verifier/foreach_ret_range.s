# prog: xdp
# map: hash key=4 value=16 max=16
# expect: reject EINVAL "At callback return the register R0 has unknown scalar value should have been in [0, 1]"
# A for_each callback returns 0 (continue) or 1 (stop).
lddw %r1, map:0
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 2
exit
cb:
call 7
exit

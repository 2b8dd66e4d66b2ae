# prog: xdp
# global: self(ctx)
# expect: reject EINVAL "At subprogram exit the register R0 is not a scalar value (ctx)"
# A global function returns a scalar: handing back its context pointer is refused.
call local self
mov %r0, 2
exit
self:
mov %r0, %r1
exit

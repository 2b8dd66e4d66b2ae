# prog: xdp
# map: ringbuf key=0 value=0 max=4096
# expect: reject ENOTSUPP "callback function not allowed for map"
# A ring buffer has no elements to walk.
lddw %r1, map:0
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 2
exit
cb:
mov %r0, 0
exit

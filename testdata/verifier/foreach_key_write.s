# prog: xdp
# map: hash key=4 value=16 max=16
# expect: reject EACCES "write to change key R2 not allowed"
# The key may be read, not written.
lddw %r1, map:0
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 2
exit
cb:
stw [%r2+0], 0
mov %r0, 0
exit

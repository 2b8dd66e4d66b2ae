# prog: xdp
# map: hash key=8 value=32 max=16 timer=16
# expect: reject EACCES "invalid access to map key, key_size=8 off=4 size=8"
# The key is key_size bytes long.
stdw [%r10-8], 0
mov %r2, %r10
add %r2, -8
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r1, %r0
add %r1, 16
lddw %r2, func:cb
call 170
out:
mov %r0, 2
exit
cb:
ldxdw %r0, [%r2+4]
mov %r0, 0
exit

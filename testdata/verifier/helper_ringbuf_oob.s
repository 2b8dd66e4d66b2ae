# prog: xdp
# map: ringbuf key=0 value=0 max=4096
# expect: reject EACCES "invalid access to memory, mem_size=8 off=8 size=8"
lddw %r1, map:0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, +4
stdw [%r0+8], 1
mov %r1, %r0
mov %r2, 0
call 132
mov %r0, 0
exit

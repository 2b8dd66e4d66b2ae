# prog: xdp
# map: ringbuf key=0 value=0 max=4096
# expect: reject EACCES "R2 is not a known constant'"
call 7
mov %r2, %r0
lddw %r1, map:0
mov %r3, 0
call 131
mov %r0, 0
exit

# prog: xdp
# map: ringbuf key=0 value=0 max=4096
# expect: reject EACCES "R1 type=scalar expected=ringbuf_mem"
mov %r1, 0
mov %r2, 0
call 132
mov %r0, 0
exit

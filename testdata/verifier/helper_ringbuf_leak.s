# prog: xdp
# map: ringbuf key=0 value=0 max=4096
# expect: reject "Unreleased reference id=1 alloc_insn=5"
lddw %r1, map:0
mov %r2, 8
mov %r3, 0
call 131
mov %r0, 0
exit

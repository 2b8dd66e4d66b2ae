# prog: xdp
# map: ringbuf key=0 value=0 max=4096
# expect: reject EINVAL "Unreleased reference id=2 alloc_insn=4"
# The reserved record is never submitted: the id is 2 (1 went to the maybe-NULL mark).
lddw %r1, map:0
mov %r2, 8
mov %r3, 0
call 131
mov %r0, 0
exit

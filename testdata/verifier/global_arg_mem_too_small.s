# prog: xdp
# global: sum(ptr:16)
# expect: reject EINVAL "Caller passes invalid args into func#1 ('sum')"
# The memory passed must hold the whole pointee: 8 bytes of stack for a 16-byte struct are refused.
stdw [%r10-8], 1
mov %r1, %r10
add %r1, -8
call local sum
exit
sum:
mov %r0, 0
exit

# prog: xdp
# expect: reject EINVAL "At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]"
# A bpf_loop callback returns 0 (continue) or 1 (stop).
mov %r1, 4
lddw %r2, func:cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 2
exit
cb:
mov %r0, 2
exit

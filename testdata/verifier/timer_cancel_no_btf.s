# prog: xdp
# map: hash key=4 value=24 max=16
# expect: reject EINVAL "map 'm0' has to have BTF in order to use bpf_timer"
# bpf_timer_cancel on a value from a map without BTF.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
add %r1, 8
call 172
out:
mov %r0, 2
exit

# prog: xdp
# map: array key=4 value=24 max=1 timer=8
# expect: reject EACCES "bpf_timer cannot be accessed directly by load/store"
# ... nor to write, even partly.
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map:0
call 1
mov %r6, %r0
stw [%r6+20], 0
mov %r0, 2
exit

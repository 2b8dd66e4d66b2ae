# prog: xdp
# map: array key=4 value=8 max=4
# expect: accept
# Constant key 3 < max_entries 4 (stored as a 4-byte spill at an aligned slot): no NULL check needed.
stw [%r10-8], 3
mov %r2, %r10
add %r2, -8
lddw %r1, map:0
call 1
ldxdw %r0, [%r0+0]
mov %r0, 2
exit

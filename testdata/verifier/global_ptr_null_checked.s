# prog: xdp
# global: first(ptr:8)
# expect: accept
# Checked for NULL first, the pointer is 8 bytes of memory; the caller may pass NULL itself.
mov %r1, 0
call local first
mov %r6, %r0
stdw [%r10-8], 7
mov %r1, %r10
add %r1, -8
call local first
add %r0, %r6
exit
first:
mov %r0, 0
jeq %r1, 0, out
ldxdw %r0, [%r1]
out:
exit

# prog: xdp
# expect: accept
# 20 diamonds, each adding its own bit to r6 on one side: 2^20 values. r6 is returned but nothing
# relies on its exact value, so it stays imprecise and each join prunes the second path (without
# precision tracking the walk would take 2^20 paths: too complex).
mov %r6, 0
call 7
jeq %r0, 0, d0
add %r6, 1
d0:
call 7
jeq %r0, 0, d1
add %r6, 2
d1:
call 7
jeq %r0, 0, d2
add %r6, 4
d2:
call 7
jeq %r0, 0, d3
add %r6, 8
d3:
call 7
jeq %r0, 0, d4
add %r6, 16
d4:
call 7
jeq %r0, 0, d5
add %r6, 32
d5:
call 7
jeq %r0, 0, d6
add %r6, 64
d6:
call 7
jeq %r0, 0, d7
add %r6, 128
d7:
call 7
jeq %r0, 0, d8
add %r6, 256
d8:
call 7
jeq %r0, 0, d9
add %r6, 512
d9:
call 7
jeq %r0, 0, d10
add %r6, 1024
d10:
call 7
jeq %r0, 0, d11
add %r6, 2048
d11:
call 7
jeq %r0, 0, d12
add %r6, 4096
d12:
call 7
jeq %r0, 0, d13
add %r6, 8192
d13:
call 7
jeq %r0, 0, d14
add %r6, 16384
d14:
call 7
jeq %r0, 0, d15
add %r6, 32768
d15:
call 7
jeq %r0, 0, d16
add %r6, 65536
d16:
call 7
jeq %r0, 0, d17
add %r6, 131072
d17:
call 7
jeq %r0, 0, d18
add %r6, 262144
d18:
call 7
jeq %r0, 0, d19
add %r6, 524288
d19:
mov %r0, %r6
and %r0, 3
exit

# prog: xdp
# global: six(int, int, int, int, int, int)
# expect: reject EINVAL "Global function six() with 6 > 5 args. Buggy compiler."
# Five arguments at most travel in registers.
mov %r1, 0
mov %r2, 0
mov %r3, 0
mov %r4, 0
mov %r5, 0
call local six
exit
six:
mov %r0, 0
exit

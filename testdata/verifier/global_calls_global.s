# prog: xdp
# global: outer(int)
# global: inner(int)
# expect: accept
# A global function calling another: outer() is validated after the main program, inner() after
# outer(), each once, each from its prototype.
mov %r1, 1
call local outer
exit
outer:
call local inner
add %r0, 1
exit
inner:
mov %r0, %r1
and %r0, 7
exit

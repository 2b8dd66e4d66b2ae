# prog: xdp
# static: helper(ptr:8 arg:nonnull)
# expect: accept
# A static function's prototype means nothing to the verifier (not even a tag there): it is
# walked with the caller's registers.
mov %r1, 0
call local helper
mov %r0, 2
exit
helper:
mov %r0, %r1
exit

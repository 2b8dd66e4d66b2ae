# prog: xdp
# expect: reject EACCES "R1 invalid mem access 'scalar'"
# Line info in a subprogram (each subprogram starts with a record); the failing line is the callee's.
mov %r1, 0              #@ int main(struct xdp_md *ctx) { return helper(0); }
call local helper
exit
helper:
ldxw %r0, [%r1+0]       #@ static int helper(int *p) { return *p; }
exit

# prog: kprobe
# global: first_reg(ctx)
# expect: accept
# For kprobes it is struct pt_regs.
call local first_reg
exit
first_reg:
ldxdw %r0, [%r1+0]
exit

// SPDX-License-Identifier: GPL-2.0
/*
 * Raw tracepoint test runs (issue 4): the context is up to 12 u64 arguments passed in by
 * BPF_PROG_TEST_RUN; no data and no repeat. Results land in `out` (.bss).
 */
#include "scenario.h"

struct {
	s64 args[2];
	s64 cpu_ok;
} out;

SEC("raw_tp")
int rtp_args(u64 *ctx)
{
	out.args[0] = ctx[0];
	out.args[1] = ctx[1];
	out.cpu_ok = bpf_get_smp_processor_id() < 4096;
	return ctx[0] + ctx[1];
}

char LICENSE[] SEC("license") = "GPL";

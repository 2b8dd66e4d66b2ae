// SPDX-License-Identifier: GPL-2.0
/* The smallest scenario object: used to probe whether the kernel side can run at all. */
#include "scenario.h"

SEC("xdp")
int pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/* B48: a per-CPU hash may not hold a timer. */
#include "scenario.h"

struct elem {
	u64 data;
	struct bpf_timer t;
};

#define ELEM_T struct elem
#define MAP_TYPE BPF_MAP_TYPE_PERCPU_HASH
#define MAP_FLAGS 0
#define TIMER_OF(v) (v)->t
#include "timer_refusal.h"

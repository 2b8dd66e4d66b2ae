// SPDX-License-Identifier: GPL-2.0
/* B51: a value with an array of timers has no recognised timer. */
#include "scenario.h"

struct elem {
	u64 data;
	struct bpf_timer t[2];
};

#define ELEM_T struct elem
#define MAP_TYPE BPF_MAP_TYPE_ARRAY
#define MAP_FLAGS 0
#define TIMER_OF(v) (v)->t[0]
#include "timer_refusal.h"

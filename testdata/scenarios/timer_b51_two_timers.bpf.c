// SPDX-License-Identifier: GPL-2.0
/* B51: a value with two timers has no recognised timer. */
#include "scenario.h"

struct elem {
	struct bpf_timer t;
	struct bpf_timer t2;
};

#define ELEM_T struct elem
#define MAP_TYPE BPF_MAP_TYPE_ARRAY
#define MAP_FLAGS 0
#define TIMER_OF(v) (v)->t
#include "timer_refusal.h"

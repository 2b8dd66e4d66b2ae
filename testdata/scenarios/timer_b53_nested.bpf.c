// SPDX-License-Identifier: GPL-2.0
/* B53: a timer inside a nested struct is recognised at its accumulated offset (16). */
#include "scenario.h"

struct inner {
	u64 a;
	struct bpf_timer t;
};
struct elem {
	u64 data;
	struct inner in;
};

#define ELEM_T struct elem
#define MAP_TYPE BPF_MAP_TYPE_ARRAY
#define MAP_FLAGS 0
#define TIMER_OF(v) (v)->in.t
#include "timer_refusal.h"

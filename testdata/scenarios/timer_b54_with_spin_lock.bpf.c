// SPDX-License-Identifier: GPL-2.0
/* B54: a timer and a bpf_spin_lock may share a value. */
#include "scenario.h"

struct elem {
	struct bpf_spin_lock lock;
	u32 data;
	struct bpf_timer t;
};

#define ELEM_T struct elem
#define MAP_TYPE BPF_MAP_TYPE_HASH
#define MAP_FLAGS 0
#define TIMER_OF(v) (v)->t
#include "timer_refusal.h"

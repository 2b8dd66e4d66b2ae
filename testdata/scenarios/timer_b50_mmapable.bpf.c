// SPDX-License-Identifier: GPL-2.0
/* B50: a BPF_F_MMAPABLE array with a timer can be created (only mmap fails). */
#include "scenario.h"

struct elem {
	u64 data;
	struct bpf_timer t;
};

#define ELEM_T struct elem
#define MAP_TYPE BPF_MAP_TYPE_ARRAY
#define MAP_FLAGS BPF_F_MMAPABLE
#define TIMER_OF(v) (v)->t
#include "timer_refusal.h"

// SPDX-License-Identifier: GPL-2.0
/* B49: a timer map may not be BPF_F_RDONLY_PROG. */
#include "scenario.h"

struct elem {
	u64 data;
	struct bpf_timer t;
};

#define ELEM_T struct elem
#define MAP_TYPE BPF_MAP_TYPE_ARRAY
#define MAP_FLAGS BPF_F_RDONLY_PROG
#define TIMER_OF(v) (v)->t
#include "timer_refusal.h"

// SPDX-License-Identifier: GPL-2.0
/* B52: a timer at offset 4 (not 8-aligned) is not recognised. */
#pragma clang diagnostic ignored "-Waddress-of-packed-member"
#include "scenario.h"

struct elem {
	u32 data;
	struct bpf_timer t;
} __attribute__((packed));

#define ELEM_T struct elem
#define MAP_TYPE BPF_MAP_TYPE_ARRAY
#define MAP_FLAGS 0
#define TIMER_OF(v) (v)->t
#include "timer_refusal.h"

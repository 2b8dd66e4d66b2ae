// SPDX-License-Identifier: GPL-2.0
/* B54a: a map whose value type is struct bpf_timer itself has no recognised timer. */
#include "scenario.h"

#define elem bpf_timer

#define ELEM_T struct elem
#define MAP_TYPE BPF_MAP_TYPE_ARRAY
#define MAP_FLAGS 0
#define TIMER_OF(v) *(v)
#include "timer_refusal.h"

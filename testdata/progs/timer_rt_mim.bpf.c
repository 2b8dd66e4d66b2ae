// SPDX-License-Identifier: GPL-2.0
/*
 * Timers in an inner map (spec B72), for test/timers-runtime.test.ts. `outer` (array of maps)
 * holds `inner` in slot 0. `arm` inserts key 1 into the inner map found in slot 0 and arms a
 * periodic 1 ms timer on it; the callback counts its runs in `ticks`.
 */
#include "scenario.h"

struct ielem {
	u64 pad;
	struct bpf_timer t;
};

struct inner_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, struct ielem);
} inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, u32);
	__array(values, struct inner_map);
} outer SEC(".maps") = {
	.values = {&inner},
};

u64 ticks;

static int tick(void *map, u32 *key, struct ielem *v)
{
	ticks++;
	bpf_timer_start(&v->t, MS, 0);
	return 0;
}

SEC("syscall")
int arm(void *ctx)
{
	u32 slot = 0, key = 1;
	struct ielem e = {}, *v;
	void *m = bpf_map_lookup_elem(&outer, &slot);
	long r;

	if (!m)
		return -ENOENT * 1000;
	bpf_map_update_elem(m, &key, &e, BPF_ANY);
	v = bpf_map_lookup_elem(m, &key);
	if (!v)
		return -ENOENT * 1000;
	r = bpf_timer_init(&v->t, m, CLOCK_MONOTONIC);
	if (r)
		return r;
	r = bpf_timer_set_callback(&v->t, tick);
	if (r)
		return r;
	return bpf_timer_start(&v->t, MS, 0);
}

char LICENSE[] SEC("license") = "GPL";

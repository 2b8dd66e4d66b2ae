// SPDX-License-Identifier: GPL-2.0
/*
 * Timers in inner maps (B72) and map-in-map access. `outer` (array of maps) holds inner_a in
 * slot 0 and inner_b in slot 1. `arm` (ctx: u32 slot) inserts key 1 into the inner map of that
 * slot and arms its timer for 20 ms; the callback counts runs in fired[slot]. `rw` (ctx: u32 slot,
 * u32 key, u64 value) writes through the outer map and reads back, returning the value read, or
 * -ENOENT when the slot is empty or out of range.
 */
#include "scenario.h"

struct inner_elem {
	u64 slot;
	struct bpf_timer t;
};

struct inner_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct inner_elem);
};

struct inner_map inner_a SEC(".maps");
struct inner_map inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, u32);
	__array(values, struct inner_map);
} outer SEC(".maps") = {
	.values = {&inner_a, &inner_b},
};

u32 fired[2];

static int cb(void *map, u32 *key, struct inner_elem *v)
{
	fired[v->slot & 1]++;
	return 0;
}

struct arm_ctx {
	u32 slot;
};

SEC("syscall")
int arm(struct arm_ctx *c)
{
	u32 slot = c->slot, key = 1;
	struct inner_elem e = {.slot = slot}, *v;
	void *inner = bpf_map_lookup_elem(&outer, &slot);
	long r;

	if (!inner)
		return -ENOENT * 1000;
	r = bpf_map_update_elem(inner, &key, &e, BPF_ANY);
	if (r)
		return r;
	v = bpf_map_lookup_elem(inner, &key);
	if (!v)
		return -ENOENT * 1000;
	r = bpf_timer_init(&v->t, inner, CLOCK_MONOTONIC);
	if (r)
		return r;
	r = bpf_timer_set_callback(&v->t, cb);
	if (r)
		return r;
	return bpf_timer_start(&v->t, 20 * MS, 0);
}

struct rw_ctx {
	u32 slot;
	u32 key;
	u64 value;
};

SEC("syscall")
int rw(struct rw_ctx *c)
{
	u32 slot = c->slot, key = c->key;
	struct inner_elem e = {.slot = c->value}, *v;
	void *inner = bpf_map_lookup_elem(&outer, &slot);
	long r;

	if (!inner)
		return -ENOENT;
	r = bpf_map_update_elem(inner, &key, &e, BPF_ANY);
	if (r)
		return r;
	v = bpf_map_lookup_elem(inner, &key);
	return v ? (s32)v->slot : -ENOENT * 1000;
}

char LICENSE[] SEC("license") = "GPL";

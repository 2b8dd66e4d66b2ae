// SPDX-License-Identifier: GPL-2.0
/*
 * Timers next to a bpf_spin_lock (B35, B36, B54): `lop` performs one operation on larr[key]
 * (map 0, array) or lhash[key] (map 1, hash) and returns the helper's result. The callback counts
 * runs in fired[map * 4 + key].
 *
 * ctx (struct lcmd, 16 bytes): u32 op, u32 map, u32 key, u32 data.
 */
#include "scenario.h"

struct lelem {
	struct bpf_spin_lock lock;
	u32 data;
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct lelem);
} larr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct lelem);
} lhash SEC(".maps");

u32 fired[8];

struct lcmd {
	u32 op;
	u32 map;
	u32 key;
	u32 data;
};

static int cb_arr(void *map, u32 *key, struct lelem *v)
{
	fired[*key & 3]++;
	return 0;
}

static int cb_hash(void *map, u32 *key, struct lelem *v)
{
	fired[4 + (*key & 3)]++;
	return 0;
}

enum { ARM = 1, START = 2, UPDATE_LOCK = 3, GET = 4, UPDATE_PLAIN = 5 };

static __always_inline long arm(struct lelem *v, void *map, int is_hash)
{
	long r = bpf_timer_init(&v->t, map, CLOCK_MONOTONIC);
	if (r)
		return r;
	r = is_hash ? bpf_timer_set_callback(&v->t, cb_hash) : bpf_timer_set_callback(&v->t, cb_arr);
	if (r)
		return r;
	return bpf_timer_start(&v->t, 20 * MS, 0);
}

static __always_inline long do_op(struct lcmd *c, void *map, struct lelem *v, int is_hash)
{
	struct lelem nv = {.data = c->data};
	u32 key = c->key, d;

	switch (c->op) {
	case ARM: return arm(v, map, is_hash);
	case START: return bpf_timer_start(&v->t, 20 * MS, 0);
	case UPDATE_LOCK: return bpf_map_update_elem(map, &key, &nv, BPF_F_LOCK);
	case UPDATE_PLAIN: return bpf_map_update_elem(map, &key, &nv, BPF_ANY);
	case GET:
		bpf_spin_lock(&v->lock);
		d = v->data;
		bpf_spin_unlock(&v->lock);
		return d;
	}
	return -EINVAL * 1000;
}

SEC("syscall")
int lop(struct lcmd *c)
{
	u32 key = c->key;
	struct lelem *v;

	if (c->map == 0) {
		v = bpf_map_lookup_elem(&larr, &key);
		return v ? do_op(c, &larr, v, 0) : -ENOENT * 1000;
	}
	v = bpf_map_lookup_elem(&lhash, &key);
	return v ? do_op(c, &lhash, v, 1) : -ENOENT * 1000;
}

char LICENSE[] SEC("license") = "GPL";

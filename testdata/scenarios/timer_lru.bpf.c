// SPDX-License-Identifier: GPL-2.0
/*
 * LRU eviction and timers (B39), checked by invariant (which element an LRU map evicts is
 * implementation-defined). `fill` arms 20 ms timers in lru[1..4], then inserts 64 more keys, which
 * evicts every armed element; the cancel through the stale pointer of lru[1] must return -EINVAL.
 * `check` (after the timers' expiry) counts, for keys 1..4, elements whose presence disagrees with
 * whether their callback ran.
 */
#include "scenario.h"

struct elem {
	u64 key;
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, struct elem);
} lru SEC(".maps");

/* Implementation-defined (which keys were evicted): kept in .bss, never dumped by a scenario. */
u32 fired[8];
u32 present_after_fill; /* bit k: lru[k] present right after the inserts */
s32 stale_cancel;       /* bpf_timer_cancel through the stale pointer of key 1 */

/* The invariants, in their own map, which the scenario dumps. */
struct verdict {
	s32 arm_err;       /* first non-zero helper result while arming, or 0 */
	s32 insert_err;    /* first non-zero result of the 64 inserts, or 0 */
	u32 stale_ok;      /* key 1 evicted: stale cancel gave -EINVAL; still present: it gave 1 */
	u32 violations;    /* keys 1..4 whose presence differs from "callback ran" */
	u32 count_ok;      /* 1: between 1 and max_entries elements among all keys */
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct verdict);
} verdict SEC(".maps");

static __always_inline struct verdict *vd(void)
{
	u32 k = 0;
	return bpf_map_lookup_elem(&verdict, &k);
}

static int cb(void *map, u32 *key, struct elem *v)
{
	if (*key >= 1 && *key <= 4)
		fired[*key]++;
	return 0;
}

static int insert_one(u32 i, void *ctx)
{
	u32 k = 100 + i;
	struct elem e = {.key = k};
	long r = bpf_map_update_elem(&lru, &k, &e, BPF_ANY);

	struct verdict *d = vd();

	if (d && r && !d->insert_err)
		d->insert_err = r;
	return 0;
}

static __always_inline struct elem *arm_one(u32 k)
{
	struct elem e = {.key = k};
	struct elem *v;
	struct verdict *d = vd();
	long r = bpf_map_update_elem(&lru, &k, &e, BPF_NOEXIST);

	if (!d)
		return 0;
	v = bpf_map_lookup_elem(&lru, &k);
	if (!v) {
		if (!d->arm_err)
			d->arm_err = r ? r : -ENOENT;
		return 0;
	}
	if (!r)
		r = bpf_timer_init(&v->t, &lru, CLOCK_MONOTONIC);
	if (!r)
		r = bpf_timer_set_callback(&v->t, cb);
	if (!r)
		r = bpf_timer_start(&v->t, 20 * MS, 0);
	if (r && !d->arm_err)
		d->arm_err = r;
	return v;
}

static __always_inline void note_present(u32 k)
{
	if (bpf_map_lookup_elem(&lru, &k))
		present_after_fill |= 1 << k;
}

SEC("syscall")
int fill(void *ctx)
{
	struct elem *first = arm_one(1);

	arm_one(2);
	arm_one(3);
	arm_one(4);
	bpf_loop(64, insert_one, 0, 0);
	note_present(1);
	note_present(2);
	note_present(3);
	note_present(4);
	if (first) {
		struct verdict *d = vd();

		stale_cancel = bpf_timer_cancel(&first->t);
		if (d)
			d->stale_ok = (present_after_fill & 2) ? stale_cancel == 1 : stale_cancel == -EINVAL;
	}
	return 0;
}

static int count_one(u32 i, u32 *n)
{
	u32 k = 100 + i;

	if (bpf_map_lookup_elem(&lru, &k))
		(*n)++;
	return 0;
}

static __always_inline void check_one(u32 k, u32 *n)
{
	int present = bpf_map_lookup_elem(&lru, &k) != 0;

	if (present)
		(*n)++;
	struct verdict *d = vd();

	if (d && present != (fired[k & 7] == 1))
		d->violations++;
}

SEC("syscall")
int check(void *ctx)
{
	u32 n = 0;

	check_one(1, &n);
	check_one(2, &n);
	check_one(3, &n);
	check_one(4, &n);
	bpf_loop(64, count_one, &n, 0);
	struct verdict *d = vd();

	if (d)
		d->count_ok = n >= 1 && n <= 8;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

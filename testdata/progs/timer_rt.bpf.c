// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime tests of bpf_timer (test/timers-runtime.test.ts). One syscall program, `op`, performs
 * one timer or map operation chosen by its context on element `key` of map `which` and returns
 * the helper's result; callbacks count their runs in `seen`, indexed by key (0..7).
 *
 * ctx (struct cmd, 32 bytes): u32 op, u32 which, u32 key, u32 cb, u64 a, u64 b.
 * which: 0 arr (array), 1 hash, 2 lru (LRU hash), 3 arrl (array with a spin lock),
 *        4 hashl (hash with a spin lock).
 */
#include "scenario.h"

struct elem {
	u64 data;
	struct bpf_timer t;
};

struct lelem {
	struct bpf_spin_lock l;
	u32 pad;
	u64 data;
	struct bpf_timer t;
};

struct seen {
	u64 fired;
	u64 key;   /* *key as the callback saw it */
	u64 cpu;   /* bpf_get_smp_processor_id() in the callback */
	s64 r;     /* a helper result inside the callback (callback-specific) */
	u64 now;   /* bpf_ktime_get_ns() in the callback */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct elem);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct elem);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct elem);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct lelem);
} arrl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct lelem);
} hashl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, struct seen);
} seen SEC(".maps");

struct cmd {
	u32 op;
	u32 which;
	u32 key;
	u32 cb;
	u64 a;
	u64 b;
};

enum {
	OP_INIT = 1,     /* bpf_timer_init(t, map, a) */
	OP_SET_CB = 2,   /* bpf_timer_set_callback(t, callback #cb) */
	OP_START = 3,    /* bpf_timer_start(t, a, b) */
	OP_CANCEL = 4,   /* bpf_timer_cancel(t) */
	OP_ARM = 5,      /* init (MONOTONIC), set callback #cb, start(a, b); the first failure */
	OP_UPDATE = 6,   /* bpf_map_update_elem(map, key, {data = a}, b) */
	OP_DELETE = 7,   /* bpf_map_delete_elem(map, key) */
	OP_EVICT = 8,    /* LRU: insert keys 100..131 (evicting `key`), then cancel via the stale pointer */
};

static __always_inline struct seen *count(u32 *key)
{
	u32 k = *key & 7;
	struct seen *s = bpf_map_lookup_elem(&seen, &k);

	if (!s)
		return 0;
	s->fired++;
	s->key = *key;
	s->cpu = bpf_get_smp_processor_id();
	s->now = bpf_ktime_get_ns();
	return s;
}

/* 1: count. */
static int cb_count(void *map, u32 *key, struct elem *v)
{
	count(key);
	return 0;
}

/* 2: count and re-arm 1 ms later, forever (stopped only by the map). */
static int cb_periodic(void *map, u32 *key, struct elem *v)
{
	struct seen *s = count(key);

	if (s)
		s->r = bpf_timer_start(&v->t, MS, 0);
	return 0;
}

/* 3: delete its own element, then start the timer through the now stale value pointer. */
static int cb_delete_self(void *map, u32 *key, struct elem *v)
{
	struct seen *s = count(key);
	long r = bpf_map_delete_elem(map, key);

	if (s)
		s->r = r == 0 ? bpf_timer_start(&v->t, MS, 0) : -1000 + r;
	return 0;
}

/* 4: cancel its own timer (-EDEADLK). */
static int cb_cancel_self(void *map, u32 *key, struct elem *v)
{
	struct seen *s = count(key);

	if (s)
		s->r = bpf_timer_cancel(&v->t);
	return 0;
}

/* 5: cancel the timer of arr[3] (1 when it was pending). */
static int cb_cancel_other(void *map, u32 *key, struct elem *v)
{
	struct seen *s = count(key);
	u32 k = 3;
	struct elem *o = bpf_map_lookup_elem(&arr, &k);

	if (s && o)
		s->r = bpf_timer_cancel(&o->t);
	return 0;
}

/* count (lock-holding values). */
static int cb_lcount(void *map, u32 *key, struct lelem *v)
{
	count(key);
	return 0;
}

#define TIMER_OPS(name, map, type, cbtable)                                                  \
	static __always_inline long name(struct cmd *c)                                      \
	{                                                                                    \
		u32 key = c->key;                                                            \
		type *v;                                                                     \
		long r;                                                                      \
		if (c->op == OP_UPDATE) {                                                    \
			type e = {.data = c->a};                                             \
			return bpf_map_update_elem(&map, &key, &e, c->b);                    \
		}                                                                            \
		if (c->op == OP_DELETE)                                                      \
			return bpf_map_delete_elem(&map, &key);                              \
		v = bpf_map_lookup_elem(&map, &key);                                         \
		if (!v)                                                                      \
			return -ENOENT * 1000;                                               \
		switch (c->op) {                                                             \
		case OP_INIT:                                                                \
			return bpf_timer_init(&v->t, &map, c->a);                            \
		case OP_SET_CB:                                                              \
			cbtable;                                                             \
		case OP_START:                                                               \
			return bpf_timer_start(&v->t, c->a, c->b);                           \
		case OP_CANCEL:                                                              \
			return bpf_timer_cancel(&v->t);                                      \
		case OP_ARM:                                                                 \
			r = bpf_timer_init(&v->t, &map, CLOCK_MONOTONIC);                    \
			if (r)                                                               \
				return r;                                                    \
			r = name##_set_cb(v, c->cb);                                         \
			if (r)                                                               \
				return r;                                                    \
			return bpf_timer_start(&v->t, c->a, c->b);                           \
		}                                                                            \
		return -9999;                                                                \
	}

static __always_inline long elem_set_cb(struct elem *v, u32 cb)
{
	if (cb == 2)
		return bpf_timer_set_callback(&v->t, cb_periodic);
	if (cb == 3)
		return bpf_timer_set_callback(&v->t, cb_delete_self);
	if (cb == 4)
		return bpf_timer_set_callback(&v->t, cb_cancel_self);
	if (cb == 5)
		return bpf_timer_set_callback(&v->t, cb_cancel_other);
	return bpf_timer_set_callback(&v->t, cb_count);
}

static __always_inline long lelem_set_cb(struct lelem *v, u32 cb)
{
	return bpf_timer_set_callback(&v->t, cb_lcount);
}

#define arr_ops_set_cb elem_set_cb
#define hash_ops_set_cb elem_set_cb
#define lru_ops_set_cb elem_set_cb
#define arrl_ops_set_cb lelem_set_cb
#define hashl_ops_set_cb lelem_set_cb

TIMER_OPS(arr_ops, arr, struct elem, return elem_set_cb(v, c->cb))
TIMER_OPS(hash_ops, hash, struct elem, return elem_set_cb(v, c->cb))
TIMER_OPS(lru_ops, lru, struct elem, return elem_set_cb(v, c->cb))
TIMER_OPS(arrl_ops, arrl, struct lelem, return lelem_set_cb(v, c->cb))
TIMER_OPS(hashl_ops, hashl, struct lelem, return lelem_set_cb(v, c->cb))

static __always_inline long evict(u32 key)
{
	struct elem e = {}, *v = bpf_map_lookup_elem(&lru, &key);
	u64 k;

	if (!v)
		return -ENOENT * 1000;
	/* No lookups of `key` in between: they would mark it referenced and keep it. k is a u64 (the
	 * helper reads its low 4 bytes, the key): a u32 k sits at an unaligned stack offset, where
	 * the verifier cannot track its value, and the kernel reports an infinite loop. */
	for (k = 100; k < 132; k++)
		bpf_map_update_elem(&lru, &k, &e, BPF_ANY);
	return bpf_timer_cancel(&v->t);
}

SEC("syscall")
int op(struct cmd *c)
{
	if (c->op == OP_EVICT)
		return evict(c->key);
	switch (c->which) {
	case 0:
		return arr_ops(c);
	case 1:
		return hash_ops(c);
	case 2:
		return lru_ops(c);
	case 3:
		return arrl_ops(c);
	case 4:
		return hashl_ops(c);
	}
	return -9997;
}

char LICENSE[] SEC("license") = "GPL";

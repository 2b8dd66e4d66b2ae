// SPDX-License-Identifier: GPL-2.0
/*
 * A timer driver for scenarios: one syscall program, `op`, performs one timer (or map) operation
 * chosen by its context on one element of `arr` (array) or `hash` (hash), and returns the helper's
 * result. Timer callbacks record what they saw in `obs`, indexed by the element's key (0..7).
 *
 * ctx (struct cmd, 32 bytes): u32 op, u32 map (0 arr, 1 hash), u32 key, u32 cb, u64 a, u64 b.
 */
#include "scenario.h"

struct elem {
	u64 data;
	struct bpf_timer t;
};

struct obs {
	u32 fired;    /* callback invocations */
	u32 last_cb;  /* id of the callback that ran last */
	u32 key_seen; /* *key as the callback saw it */
	u32 map_id;   /* 1: map == arr, 2: map == hash, 9: another map */
	s32 r1, r2, r3; /* helper results inside the callback (callback-specific) */
	u32 pad;
	u64 data_seen; /* value->data as the callback saw it */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct elem);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, struct elem);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, struct obs);
} obs SEC(".maps");

struct cmd {
	u32 op;
	u32 map;
	u32 key;
	u32 cb;
	u64 a;
	u64 b;
};

enum {
	OP_INIT = 1,      /* bpf_timer_init(t, map, a) */
	OP_SET_CB = 2,    /* bpf_timer_set_callback(t, callback #cb) */
	OP_START = 3,     /* bpf_timer_start(t, a, b) */
	OP_CANCEL = 4,    /* bpf_timer_cancel(t) */
	OP_START_MONO = 5, /* bpf_timer_start(t, ktime_get_ns() + (s64)a, b) */
	OP_START_BOOT = 6, /* bpf_timer_start(t, ktime_get_boot_ns() + (s64)a, b) */
	OP_START_TAI = 7,  /* bpf_timer_start(t, ktime_get_tai_ns() + (s64)a, b) */
	OP_UPDATE = 8,    /* bpf_map_update_elem(map, key, {data = a}, b) */
	OP_DELETE = 9,    /* bpf_map_delete_elem(map, key) */
	OP_GET = 10,      /* returns (s32)value->data */
	OP_SET = 11,      /* value->data = a; returns 0 */
	OP_STALE = 12,    /* delete the element through BPF, then bpf_timer_start on the stale pointer */
};

#define NO_ELEM (-9999)

static __always_inline struct obs *obs_of(u32 *key)
{
	u32 k = *key & 7;
	return bpf_map_lookup_elem(&obs, &k);
}

static __always_inline u32 map_id(void *map)
{
	if (map == (void *)&arr)
		return 1;
	if (map == (void *)&hash)
		return 2;
	return 9;
}

static __always_inline struct obs *record(void *map, u32 *key, struct elem *v, u32 cb)
{
	struct obs *o = obs_of(key);
	if (!o)
		return 0;
	o->fired++;
	o->last_cb = cb;
	o->key_seen = *key;
	o->map_id = map_id(map);
	o->data_seen = v->data;
	return o;
}

/* 1: count only. */
static int cb_count(void *map, u32 *key, struct elem *v)
{
	record(map, key, v, 1);
	return 0;
}

/* 2: count only, distinguishable from 1. */
static int cb_other(void *map, u32 *key, struct elem *v)
{
	record(map, key, v, 2);
	return 0;
}

/* 3: cancel its own timer (-EDEADLK expected). */
static int cb_selfcancel(void *map, u32 *key, struct elem *v)
{
	struct obs *o = record(map, key, v, 3);
	if (o)
		o->r1 = bpf_timer_cancel(&v->t);
	return 0;
}

/* 4: init its own timer again (-EBUSY expected). */
static int cb_selfinit(void *map, u32 *key, struct elem *v)
{
	struct obs *o = record(map, key, v, 4);
	if (o)
		o->r1 = bpf_timer_init(&v->t, map, CLOCK_MONOTONIC);
	return 0;
}

/* 5: re-arm itself 2 ms later until it has run three times. */
static int cb_rearm3(void *map, u32 *key, struct elem *v)
{
	struct obs *o = record(map, key, v, 5);
	if (o && o->fired < 3)
		o->r1 = bpf_timer_start(&v->t, 2 * MS, 0);
	return 0;
}

/* 6: switch its own callback to cb_count and re-arm 2 ms later. */
static int cb_switch(void *map, u32 *key, struct elem *v)
{
	struct obs *o = record(map, key, v, 6);
	if (!o)
		return 0;
	o->r1 = bpf_timer_set_callback(&v->t, cb_count);
	o->r2 = bpf_timer_start(&v->t, 2 * MS, 0);
	return 0;
}

/* 7: delete its own element, then start and cancel through the stale value pointer. */
static int cb_delself(void *map, u32 *key, struct elem *v)
{
	struct obs *o = record(map, key, v, 7);
	if (!o)
		return 0;
	o->r1 = bpf_map_delete_elem(map, key);
	o->r2 = bpf_timer_start(&v->t, 1 * MS, 0);
	o->r3 = bpf_timer_cancel(&v->t);
	return 0;
}

/* 8: cancel the timer of arr[3] (1 when it was pending). */
static int cb_cancel_other(void *map, u32 *key, struct elem *v)
{
	struct obs *o = record(map, key, v, 8);
	u32 k = 3;
	struct elem *other = bpf_map_lookup_elem(&arr, &k);
	if (o && other)
		o->r1 = bpf_timer_cancel(&other->t);
	return 0;
}

/* 9: register itself again and re-arm until it has run three times. */
static int cb_selfreg(void *map, u32 *key, struct elem *v)
{
	struct obs *o = record(map, key, v, 9);
	if (o && o->fired < 3) {
		o->r1 = bpf_timer_set_callback(&v->t, cb_selfreg);
		o->r2 = bpf_timer_start(&v->t, 2 * MS, 0);
	}
	return 0;
}

/* 10: update its own element through BPF (frees its timer), then start through the same pointer. */
static int cb_updself(void *map, u32 *key, struct elem *v)
{
	struct obs *o = record(map, key, v, 10);
	struct elem nv = {.data = 77};
	if (!o)
		return 0;
	o->r1 = bpf_map_update_elem(map, key, &nv, BPF_ANY);
	o->r2 = bpf_timer_start(&v->t, 1 * MS, 0);
	return 0;
}

static __always_inline long set_cb(struct bpf_timer *t, u32 cb)
{
	switch (cb) {
	case 1: return bpf_timer_set_callback(t, cb_count);
	case 2: return bpf_timer_set_callback(t, cb_other);
	case 3: return bpf_timer_set_callback(t, cb_selfcancel);
	case 4: return bpf_timer_set_callback(t, cb_selfinit);
	case 5: return bpf_timer_set_callback(t, cb_rearm3);
	case 6: return bpf_timer_set_callback(t, cb_switch);
	case 7: return bpf_timer_set_callback(t, cb_delself);
	case 8: return bpf_timer_set_callback(t, cb_cancel_other);
	case 9: return bpf_timer_set_callback(t, cb_selfreg);
	case 10: return bpf_timer_set_callback(t, cb_updself);
	}
	return -EINVAL * 1000;
}

static __always_inline long do_op(struct cmd *c, void *map, struct elem *v, u32 key)
{
	struct elem nv = {};
	switch (c->op) {
	case OP_INIT: return bpf_timer_init(&v->t, map, c->a);
	case OP_SET_CB: return set_cb(&v->t, c->cb);
	case OP_START: return bpf_timer_start(&v->t, c->a, c->b);
	case OP_CANCEL: return bpf_timer_cancel(&v->t);
	case OP_START_MONO: return bpf_timer_start(&v->t, bpf_ktime_get_ns() + c->a, c->b);
	case OP_START_BOOT: return bpf_timer_start(&v->t, bpf_ktime_get_boot_ns() + c->a, c->b);
	case OP_START_TAI: return bpf_timer_start(&v->t, bpf_ktime_get_tai_ns() + c->a, c->b);
	case OP_UPDATE:
		nv.data = c->a;
		return bpf_map_update_elem(map, &key, &nv, c->b);
	case OP_DELETE: return bpf_map_delete_elem(map, &key);
	case OP_GET: return (s32)v->data;
	case OP_SET: v->data = c->a; return 0;
	case OP_STALE:
		if (bpf_map_delete_elem(map, &key))
			return NO_ELEM;
		return bpf_timer_start(&v->t, 1 * MS, 0);
	}
	return -EINVAL * 1000;
}

static __always_inline long run_cmd(struct cmd *c)
{
	u32 key = c->key;
	struct elem *v;

	if (c->map == 0) {
		v = bpf_map_lookup_elem(&arr, &key);
		if (!v)
			return NO_ELEM;
		return do_op(c, &arr, v, key);
	}
	v = bpf_map_lookup_elem(&hash, &key);
	if (!v) {
		/* OP_UPDATE may insert a new element; every other op needs one. */
		if (c->op == OP_UPDATE) {
			struct elem nv = {.data = c->a};
			return bpf_map_update_elem(&hash, &key, &nv, c->b);
		}
		return NO_ELEM;
	}
	return do_op(c, &hash, v, key);
}

/* The driver. */
SEC("syscall")
int op(struct cmd *c)
{
	return run_cmd(c);
}

/* A second program with the same driver: set_callback from here moves the timer's program
 * reference to op2 (B31). */
SEC("syscall")
int op2(struct cmd *c)
{
	return run_cmd(c);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * Map and helper scenarios (issue 4). Each syscall program exercises one family and records every
 * helper result in the global `out` (one struct, so .bss has a fixed layout); user-space steps in
 * the scenarios exercise the same maps through the syscall side.
 */
#include "scenario.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} h SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} pa SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} ph SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, u64);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, u64);
} st SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u64);
} lr SEC(".maps");

struct locked {
	struct bpf_spin_lock lock;
	u32 cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct locked);
} sl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} tm SEC(".maps");

struct {
	s64 pcpu[6];      /* per-CPU: values read back, helper results */
	s64 qs[14];       /* queue/stack: push results, popped values, pop/peek results */
	s64 ring[8];      /* ringbuf results */
	s64 loop[8];      /* bpf_loop results */
	s64 each[10];     /* for_each_map_elem results and what the callbacks saw */
	u32 clock[6];     /* ktime booleans */
	u32 spin_cnt;
	u32 lru[4];
	s32 hflags[8];    /* hash update flag results from BPF */
} out;

/* ---- per-CPU ---- */
SEC("syscall")
int percpu(void *ctx)
{
	u32 k = 0, hk = 1;
	u64 seven = 7, nine = 9, *v;

	v = bpf_map_lookup_elem(&pa, &k);
	if (!v)
		return -1;
	*v = 5;
	v = bpf_map_lookup_elem(&pa, &k);
	out.pcpu[0] = v ? *v : -1;
	out.pcpu[1] = bpf_map_update_elem(&pa, &k, &seven, BPF_ANY);
	v = bpf_map_lookup_elem(&pa, &k);
	out.pcpu[2] = v ? *v : -1;
	out.pcpu[3] = bpf_map_update_elem(&ph, &hk, &nine, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&ph, &hk);
	out.pcpu[4] = v ? *v : -1;
	out.pcpu[5] = bpf_map_delete_elem(&ph, &hk) * 100 + (bpf_map_lookup_elem(&ph, &hk) == 0);
	return 0;
}

/* ---- queue and stack ---- */
SEC("syscall")
int queue_stack(void *ctx)
{
	u64 v;
	int i = 0;

	for (u64 x = 1; x <= 5; x++) {
		out.qs[i++] = bpf_map_push_elem(&q, &x, 0);  /* the fifth: -E2BIG */
	}
	v = 6;
	out.qs[i++] = bpf_map_push_elem(&q, &v, BPF_EXIST); /* full + BPF_EXIST: drops the oldest */
	out.qs[i++] = bpf_map_peek_elem(&q, &v);
	out.qs[i++] = v;                                    /* 2: 1 was dropped */
	for (u64 x = 1; x <= 3; x++)
		bpf_map_push_elem(&st, &x, 0);
	out.qs[i++] = bpf_map_pop_elem(&st, &v);
	out.qs[i++] = v;                                    /* 3: last in, first out */
	out.qs[i++] = bpf_map_pop_elem(&st, &v) + 10 * v;   /* 20 */
	out.qs[i++] = bpf_map_pop_elem(&st, &v) + 10 * v;   /* 10 */
	out.qs[i++] = bpf_map_pop_elem(&st, &v);            /* empty: -ENOENT */
	out.qs[i++] = bpf_map_peek_elem(&st, &v);           /* empty: -ENOENT */
	return 0;
}

/* Pops the whole queue: values in order into out.qs[0..], then the empty result. */
SEC("syscall")
int drain_queue(void *ctx)
{
	u64 v;

	for (int i = 0; i < 5; i++) {
		long r = bpf_map_pop_elem(&q, &v);
		out.qs[i] = r ? r : (s64)v;
	}
	return 0;
}

/* ---- ring buffer ---- */
SEC("syscall")
int ringbuf(void *ctx)
{
	u64 data[2] = {1, 2};
	void *p;

	out.ring[0] = bpf_ringbuf_output(&rb, data, sizeof(data), 0);
	p = bpf_ringbuf_reserve(&rb, 100, 0);
	out.ring[1] = p != 0;
	if (p)
		bpf_ringbuf_submit(p, 0);
	p = bpf_ringbuf_reserve(&rb, 40, 0);
	if (p)
		bpf_ringbuf_discard(p, 0);
	out.ring[2] = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA);
	out.ring[3] = bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE);
	out.ring[4] = bpf_ringbuf_query(&rb, BPF_RB_PROD_POS);
	out.ring[5] = bpf_ringbuf_query(&rb, BPF_RB_CONS_POS);
	p = bpf_ringbuf_reserve(&rb, 8192, 0);   /* larger than the ring */
	out.ring[6] = p == 0;
	if (p)
		bpf_ringbuf_discard(p, 0);
	out.ring[7] = bpf_ringbuf_output(&rb, data, sizeof(data), 1 << 5); /* unknown flag */
	return 0;
}

/* ---- bpf_loop ---- */
static int sum_cb(u32 i, u64 *sum)
{
	*sum += i;
	return 0;
}

static int stop_at_3(u32 i, u64 *n)
{
	(*n)++;
	return i == 3;
}

SEC("syscall")
int loop(void *ctx)
{
	u64 sum = 0, n = 0;

	out.loop[0] = bpf_loop(10, sum_cb, &sum, 0);
	out.loop[1] = sum;
	out.loop[2] = bpf_loop(10, stop_at_3, &n, 0);
	out.loop[3] = n;
	out.loop[4] = bpf_loop(10, sum_cb, &sum, 1);
	out.loop[5] = bpf_loop((1 << 23) + 1, sum_cb, &sum, 0);
	out.loop[6] = bpf_loop(0, sum_cb, &sum, 0);
	out.loop[7] = sum;
	return 0;
}

/* ---- bpf_for_each_map_elem ---- */
/* In a global rather than on the stack: callback state the verifier cannot track exactly, so that
 * its exploration of the callback converges. */
struct each_ctx {
	u64 order; /* array keys visited, one decimal digit each: 1234 for keys 0,1,2,3 visited in order */
	u64 sum;
	u64 n;
} ec;

static long each_arr(void *map, u32 *key, u64 *val, void *ctx)
{
	struct each_ctx *c = &ec;

	c->order = c->order * 10 + *key + 1;
	c->sum += *val;
	c->n++;
	return 0;
}

static long each_stop2(void *map, u32 *key, u64 *val, void *ctx)
{
	struct each_ctx *c = &ec;

	c->n++;
	return c->n == 2;
}

static long each_hash(void *map, u32 *key, u64 *val, void *ctx)
{
	struct each_ctx *c = &ec;

	c->sum += *key * 1000 + *val;
	c->n++;
	*val += 1; /* values are writable from the callback */
	return 0;
}

SEC("syscall")
int foreach(void *ctx)
{
	out.each[0] = bpf_for_each_map_elem(&a, each_arr, 0, 0);
	out.each[1] = ec.order;
	out.each[2] = ec.sum;
	ec.n = 0;
	out.each[3] = bpf_for_each_map_elem(&a, each_stop2, 0, 0);
	out.each[4] = ec.n;
	out.each[5] = bpf_for_each_map_elem(&a, each_arr, 0, 1);
	ec.n = 0;
	ec.sum = 0;
	out.each[6] = bpf_for_each_map_elem(&h, each_hash, 0, 0);
	out.each[7] = ec.sum;
	out.each[8] = ec.n;
	return 0;
}

/* ---- clocks ---- */
SEC("syscall")
int ktime(void *ctx)
{
	u32 k = 0;
	u64 t1 = bpf_ktime_get_ns(), t2 = bpf_ktime_get_ns();
	u64 b = bpf_ktime_get_boot_ns(), j = bpf_jiffies64();
	u64 *prev = bpf_map_lookup_elem(&tm, &k);

	out.clock[0] = t2 >= t1;
	out.clock[1] = b >= t1;
	out.clock[2] = j > 0; /* syscall programs may not call bpf_ktime_get_coarse_ns */
	out.clock[3] = bpf_ktime_get_tai_ns() > b;
	if (prev) {
		/* second run, after a 50 ms sleep step: the difference is at least 50 ms, under 10 s */
		if (*prev) {
			out.clock[4] = t2 - *prev >= 50 * MS;
			out.clock[5] = t2 - *prev < 10000 * MS;
		}
		*prev = t2;
	}
	return 0;
}

/* ---- spin locks ---- */
static int locked_inc(u32 i, void *ctx)
{
	u32 k = 0;
	struct locked *l = bpf_map_lookup_elem(&sl, &k);

	if (l) {
		bpf_spin_lock(&l->lock);
		l->cnt++;
		bpf_spin_unlock(&l->lock);
	}
	return 0;
}

SEC("syscall")
int spin(void *ctx)
{
	u32 k = 0;
	struct locked *l;

	bpf_loop(10, locked_inc, 0, 0);
	l = bpf_map_lookup_elem(&sl, &k);
	if (!l)
		return -1;
	bpf_spin_lock(&l->lock);
	out.spin_cnt = l->cnt;
	bpf_spin_unlock(&l->lock);
	return 0;
}

SEC("xdp")
int xdp_spin(struct xdp_md *ctx)
{
	locked_inc(0, 0);
	return XDP_PASS;
}

/* ---- LRU by invariant ---- */
static int lru_insert(u32 i, void *ctx)
{
	u32 k = i + 1;
	u64 v = k * 10;

	if (bpf_map_update_elem(&lr, &k, &v, BPF_ANY))
		out.lru[0] = 0;
	return 0;
}

static int lru_count(u32 i, u32 *n)
{
	u32 k = i + 1;

	if (bpf_map_lookup_elem(&lr, &k))
		(*n)++;
	return 0;
}

SEC("syscall")
int lru_fill(void *ctx)
{
	u32 n = 0, last = 20;
	u64 *v;

	out.lru[0] = 1;                 /* every insert succeeded */
	bpf_loop(20, lru_insert, 0, 0);
	bpf_loop(20, lru_count, &n, 0);
	out.lru[1] = n >= 1 && n <= 8;  /* between 1 and max_entries elements remain */
	v = bpf_map_lookup_elem(&lr, &last);
	out.lru[2] = v && *v == 200;    /* the element inserted last is present */
	return 0;
}

/* ---- hash update flags from BPF ---- */
SEC("syscall")
int hash_flags(void *ctx)
{
	u64 v = 1;
	int i = 0;

	u32 k = 10, missing = 99;

	bpf_map_update_elem(&h, &k, &v, BPF_NOEXIST);
	k = 11;
	bpf_map_update_elem(&h, &k, &v, BPF_NOEXIST);
	k = 12;
	bpf_map_update_elem(&h, &k, &v, BPF_NOEXIST);
	k = 13;
	bpf_map_update_elem(&h, &k, &v, BPF_NOEXIST);
	k = 10;
	out.hflags[i++] = bpf_map_update_elem(&h, &k, &v, BPF_NOEXIST);       /* -EEXIST */
	out.hflags[i++] = bpf_map_update_elem(&h, &missing, &v, BPF_EXIST);   /* -ENOENT */
	out.hflags[i++] = bpf_map_update_elem(&h, &missing, &v, BPF_ANY);     /* full: -E2BIG */
	out.hflags[i++] = bpf_map_update_elem(&h, &k, &v, BPF_EXIST);         /* 0 */
	out.hflags[i++] = bpf_map_update_elem(&h, &k, &v, 3);                 /* -EINVAL */
	out.hflags[i++] = bpf_map_delete_elem(&h, &missing);                  /* -ENOENT */
	out.hflags[i++] = bpf_map_delete_elem(&h, &k);                        /* 0 */
	out.hflags[i++] = bpf_map_update_elem(&h, &missing, &v, BPF_NOEXIST); /* 0: room again */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * Map scenarios (issue 4): per-CPU hashes written from user space (one value per CPU) and read
 * from BPF with bpf_map_lookup_percpu_elem; LRU hashes with the common LRU list and with per-CPU
 * lists (BPF_F_NO_COMMON_LRU), plain and per-CPU, filled from one program run and checked by
 * invariant; a hash of maps and an array of maps (BPF_F_INNER_MAP template, inner arrays of two
 * sizes) initialised by libbpf from `.values`. Nothing recorded depends on the CPU a program ran
 * on: per-CPU values written from BPF are read back as sums over every CPU.
 */
#include "scenario.h"

#define NO_COMMON_LRU BPF_F_NO_COMMON_LRU
#define INNER_MAP BPF_F_INNER_MAP

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} ph SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} pa SEC(".maps");

/* LRU maps of 8 elements: common list, per-CPU lists, per-CPU values with either list. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u64);
} lru_common SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__uint(map_flags, NO_COMMON_LRU);
	__type(key, u32);
	__type(value, u64);
} lru_percpu_list SEC(".maps");

/* 7 elements with per-CPU lists: rounded up to a multiple of the CPU count. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 7);
	__uint(map_flags, NO_COMMON_LRU);
	__type(key, u32);
	__type(value, u64);
} lru_percpu_list7 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u64);
} lru_pcpu_common SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 8);
	__uint(map_flags, NO_COMMON_LRU);
	__type(key, u32);
	__type(value, u64);
} lru_pcpu_percpu_list SEC(".maps");

/* ---- map-in-map with initial values ---- */
struct inner_hash {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} in0 SEC(".maps"), in1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, u32);
	__array(values, struct inner_hash);
} hom SEC(".maps") = {
	.values = { [1] = &in0, [3] = &in1 },
};

struct inner_arr4 {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__uint(map_flags, INNER_MAP);
	__type(key, u32);
	__type(value, u64);
} arr4 SEC(".maps");

struct inner_arr8 {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__uint(map_flags, INNER_MAP);
	__type(key, u32);
	__type(value, u64);
} arr8 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, u32);
	__array(values, struct inner_arr4);
} aom SEC(".maps") = {
	.values = { [0] = &arr4, [1] = (void *)&arr8 },
};

/* One struct, so that the layout of .bss is the declaration order. */
struct {
	s64 pcpu[12];
	s64 lru[5][5];
	s64 hom[10];
	s64 aom[6];
} out;

/* bpf_map_lookup_percpu_elem on every possible CPU: the number of CPUs, and the sum of a value.
 * One callback per map (the helper needs the map as a constant); state in a global, so that the
 * verifier's exploration of the callbacks converges. */
struct sum_ctx {
	u32 key;
	u32 cpus;
	u64 sum;
} sc;

#define SUM_CALLBACK(map)						\
static int sum_cpu_##map(u32 cpu, void *ctx)				\
{									\
	struct sum_ctx *c = &sc;					\
	u64 *v = bpf_map_lookup_percpu_elem(&map, &c->key, cpu);	\
									\
	if (!v)								\
		return 1;						\
	c->sum += *v;							\
	c->cpus++;							\
	return 0;							\
}
SUM_CALLBACK(ph)
SUM_CALLBACK(pa)

#define SUM_OVER_CPUS(map, k) ({ sc.key = (k); sc.sum = 0; sc.cpus = 0; bpf_loop(64, sum_cpu_##map, 0, 0); sc.sum; })

SEC("syscall")
int percpu_read(void *ctx)
{
	u32 k1 = 1, k2 = 2, k0 = 0;
	u64 v = 100, *p, own;
	int i = 0;

	p = bpf_map_lookup_percpu_elem(&ph, &k1, 0);
	out.pcpu[i++] = p ? *p : -1;                             /* CPU 0's value from user space */
	p = bpf_map_lookup_percpu_elem(&ph, &k1, 1);
	out.pcpu[i++] = p ? *p : -1;                             /* CPU 1's value */
	out.pcpu[i++] = SUM_OVER_CPUS(ph, 1);
	out.pcpu[i++] = sc.cpus;                                 /* the possible CPUs */
	p = bpf_map_lookup_elem(&ph, &k1);
	own = p ? *p : 0;
	out.pcpu[i++] = bpf_map_update_elem(&ph, &k1, &v, BPF_EXIST);
	/* only this CPU's value changed: the sum grew by 100 - own */
	out.pcpu[i++] = SUM_OVER_CPUS(ph, 1) == out.pcpu[2] - own + 100;
	out.pcpu[i++] = bpf_map_update_elem(&ph, &k2, &v, BPF_NOEXIST);
	out.pcpu[i++] = SUM_OVER_CPUS(ph, 2);                   /* 100: the other CPUs start at 0 */
	out.pcpu[i++] = SUM_OVER_CPUS(pa, 0);                   /* per-CPU array from user space */
	out.pcpu[i++] = bpf_map_lookup_percpu_elem(&ph, &k0, 0) == 0; /* no such key */
	return 0;
}

/* ---- LRU invariants ---- */
struct lru_ctx {
	u32 failed;
	u32 present;
} lc;

/* Fills `map` (max_entries elements once rounded) with 20 keys from this one run, on one CPU:
 * every insert succeeds, the last key is present, and at most `room` elements remain: the whole
 * map with the common list, one CPU's share with per-CPU lists. */
#define LRU_CHECK(map)								\
static int lru_insert_##map(u32 i, void *ctx)					\
{										\
	u32 k = i + 1;								\
	u64 v = k * 10;								\
										\
	if (bpf_map_update_elem(&map, &k, &v, BPF_ANY))				\
		lc.failed++;							\
	return 0;								\
}										\
										\
static int lru_count_##map(u32 i, void *ctx)					\
{										\
	u32 k = i + 1;								\
										\
	if (bpf_map_lookup_elem(&map, &k))					\
		lc.present++;							\
	return 0;								\
}										\
										\
static __noinline int lru_check_##map(s64 *res, u32 max_entries, int percpu_list) \
{										\
	u32 last = 20, room;							\
	u64 *v;									\
										\
	if (!res)								\
		return 0;							\
	SUM_OVER_CPUS(pa, 0);							\
	room = percpu_list ? (max_entries + sc.cpus - 1) / sc.cpus : max_entries; \
	lc.failed = 0;								\
	lc.present = 0;								\
	bpf_loop(20, lru_insert_##map, 0, 0);					\
	bpf_loop(20, lru_count_##map, 0, 0);					\
	v = bpf_map_lookup_elem(&map, &last);					\
	res[0] = lc.failed;							\
	res[1] = lc.present >= 1 && lc.present <= room;				\
	res[2] = v && *v == 200;						\
	res[3] = bpf_map_delete_elem(&map, &last);				\
	res[4] = bpf_map_lookup_elem(&map, &last) == 0;			\
	return 0;								\
}
LRU_CHECK(lru_common)
LRU_CHECK(lru_percpu_list)
LRU_CHECK(lru_percpu_list7)
LRU_CHECK(lru_pcpu_common)
LRU_CHECK(lru_pcpu_percpu_list)

SEC("syscall")
int lru_fill(void *ctx)
{
	lru_check_lru_common(out.lru[0], 8, 0);
	lru_check_lru_percpu_list(out.lru[1], 8, 1);
	lru_check_lru_percpu_list7(out.lru[2], 7, 1);
	lru_check_lru_pcpu_common(out.lru[3], 8, 0);
	lru_check_lru_pcpu_percpu_list(out.lru[4], 8, 1);
	return 0;
}

/* ---- map-in-map ---- */
SEC("syscall")
int hom_use(void *ctx)
{
	u32 k5 = 5;

	for (u32 k = 0; k < 4; k++) {
		void *inner = bpf_map_lookup_elem(&hom, &k);
		u64 v = 50 + k, *p;

		out.hom[k] = inner != 0;
		if (!inner)
			continue;
		out.hom[4 + k] = bpf_map_update_elem(inner, &k5, &v, BPF_ANY);
		p = bpf_map_lookup_elem(inner, &k5);
		out.hom[8] += p ? *p : 0;
	}
	return 0;
}

SEC("syscall")
int aom_use(void *ctx)
{
	u32 k0 = 0, k1 = 1, k6 = 6;
	void *a4 = bpf_map_lookup_elem(&aom, &k0), *a8 = bpf_map_lookup_elem(&aom, &k1);
	u64 *p;

	if (!a4 || !a8)
		return -1;
	out.aom[0] = bpf_map_lookup_elem(a4, &k6) == 0;          /* index 6 is past a 4-entry array */
	p = bpf_map_lookup_elem(a8, &k6);
	out.aom[1] = p != 0;
	if (p)
		*p = 66;
	out.aom[2] = bpf_map_lookup_elem(&aom, &k6) == 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * Timer benchmarks (bench/timers.ts, smoke test in test/bench-timers.test.ts), the same object on
 * tsbpf and on the kernel. Results go to the one global `res` (.bss), read from user space.
 *
 * `arm` (ctx struct arm_args): arms timers first..first+n-1 of `timers` in one bpf_loop, each with
 * bpf_timer_init + bpf_timer_set_callback + bpf_timer_start, all for one absolute expiry (fixed by
 * the first run: now + delay_ns). It stops at the first failure, returns it (res.arm_err) and
 * counts what it armed; res.arm_ns adds up bpf_ktime_get_ns() around the loop. Each callback
 * counts itself and notes its bpf_ktime_get_ns(), so fire_first_ns..fire_last_ns spans the
 * callbacks of one expiry.
 *
 * `tick_start` (ctx struct tick_args): a self-re-arming timer on an absolute grid (start +
 * k * period_ns, BPF_F_TIMER_ABS) that fires `count` times; each firing stores its lateness
 * (bpf_ktime_get_ns() in the callback minus the programmed expiry) in `lateness`.
 *
 * Rebuild: make -C testdata progs/timer_bench.bpf.o   (clang-19 -g -O2 -target bpf -Iinclude)
 */
#include "scenario.h"

#define MAX_TIMERS (1 << 20)
#define MAX_TICKS 8192

struct elem {
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_TIMERS);
	__type(key, u32);
	__type(value, struct elem);
} timers SEC(".maps");

struct ticker {
	struct bpf_timer t;
	u64 next_ns;   /* the grid point the timer is armed for */
	u64 period_ns;
	u64 left;      /* firings still to come */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct ticker);
} tick SEC(".maps");

/* lateness[k]: ns between the k-th programmed expiry and its callback's bpf_ktime_get_ns(). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_TICKS);
	__type(key, u32);
	__type(value, u64);
} lateness SEC(".maps");

/* Everything user space reads back, in one struct so its layout is fixed (offsets in bench/timers.ts). */
struct results {
	u64 armed;         /* timers armed by every `arm` run so far */
	s64 arm_err;       /* the first failure of the last `arm` run (0: none) */
	u64 arm_ns;        /* bpf_ktime_get_ns() spent in the arming loops of every `arm` run */
	u64 expiry_ns;     /* the one absolute expiry, fixed by the first `arm` run */
	u64 fired;         /* on_fire callbacks */
	u64 fire_first_ns; /* bpf_ktime_get_ns() at the first and the latest on_fire */
	u64 fire_last_ns;
	u64 tick_start_ns; /* when tick_start armed the ticker */
	u64 tick_last_ns;  /* bpf_ktime_get_ns() of the latest on_tick */
	u64 ticks;         /* on_tick callbacks */
};

struct results res;

/* `arm` arms keys first..first+n-1. */
struct arm_args {
	u32 first;
	u32 n;
	u64 delay_ns;
};

struct tick_args {
	u64 period_ns;
	u64 count;
};

static int on_fire(void *map, u32 *key, struct elem *v)
{
	u64 now = bpf_ktime_get_ns();

	if (!res.fire_first_ns)
		res.fire_first_ns = now;
	res.fire_last_ns = now;
	__sync_fetch_and_add(&res.fired, 1);
	return 0;
}

static long arm_one(u64 index, void *ctx)
{
	u32 key = *(u32 *)ctx + index;
	struct elem *v = bpf_map_lookup_elem(&timers, &key);
	long r;

	if (!v) {
		res.arm_err = -ENOENT;
		return 1;
	}
	r = bpf_timer_init(&v->t, &timers, CLOCK_MONOTONIC);
	if (!r)
		r = bpf_timer_set_callback(&v->t, on_fire);
	if (!r)
		r = bpf_timer_start(&v->t, res.expiry_ns, BPF_F_TIMER_ABS);
	if (r) {
		res.arm_err = r;
		return 1;
	}
	res.armed++;
	return 0;
}

SEC("syscall")
int arm(struct arm_args *a)
{
	u32 first = a->first;
	u64 t0 = bpf_ktime_get_ns();

	if (!res.expiry_ns)
		res.expiry_ns = t0 + a->delay_ns;
	res.arm_err = 0;
	bpf_loop(a->n, arm_one, &first, 0);
	res.arm_ns += bpf_ktime_get_ns() - t0;
	return res.arm_err;
}

static int on_tick(void *map, u32 *key, struct ticker *s)
{
	u64 now = bpf_ktime_get_ns();
	u32 k = res.ticks;
	u64 late = now - s->next_ns;

	if (k < MAX_TICKS)
		bpf_map_update_elem(&lateness, &k, &late, BPF_ANY);
	res.ticks++;
	res.tick_last_ns = now;
	if (s->left > 1) {
		s->left--;
		s->next_ns += s->period_ns;
		bpf_timer_start(&s->t, s->next_ns, BPF_F_TIMER_ABS);
	} else {
		s->left = 0;
	}
	return 0;
}

SEC("syscall")
int tick_start(struct tick_args *a)
{
	u32 zero = 0;
	struct ticker *s = bpf_map_lookup_elem(&tick, &zero);
	long r;

	if (!s)
		return -ENOENT;
	r = bpf_timer_init(&s->t, &tick, CLOCK_MONOTONIC);
	if (r)
		return r;
	r = bpf_timer_set_callback(&s->t, on_tick);
	if (r)
		return r;
	res.tick_start_ns = bpf_ktime_get_ns();
	s->period_ns = a->period_ns;
	s->left = a->count;
	s->next_ns = res.tick_start_ns + a->period_ns;
	return bpf_timer_start(&s->t, s->next_ns, BPF_F_TIMER_ABS);
}

char LICENSE[] SEC("license") = "GPL";

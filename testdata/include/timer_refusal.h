/*
 * One map (2 entries, u32 keys) with a timer-bearing value and one syscall program, `use`, that initialises, sets the
 * callback of and starts (5 ms) the timer of element 0 and returns the first failing helper's
 * result, or 0; the callback counts its runs in the global `fired`. A scenario program includes it
 * after defining:
 *   ELEM_T        the value type
 *   TIMER_OF(v)   the timer inside a value pointer v
 *   MAP_TYPE, MAP_FLAGS (optional)
 * Used by the creation-time refusal scenarios (B48-B54a): the load result is the observation.
 */
#include "scenario.h"

#ifndef MAP_FLAGS
#define MAP_FLAGS 0
#endif

struct {
	__uint(type, MAP_TYPE);
	__uint(max_entries, 2);
	__uint(map_flags, MAP_FLAGS);
	__type(key, u32);
	__type(value, ELEM_T);
} m SEC(".maps");

u32 fired;

static int cb(void *map, u32 *key, ELEM_T *v)
{
	fired++;
	return 0;
}

SEC("syscall")
int use(void *ctx)
{
	u32 k = 0;
	ELEM_T *v;
	long r;

	/* Hash maps: the scenario inserts key 0 from user space first. */
	v = bpf_map_lookup_elem(&m, &k);
	if (!v)
		return -ENOENT * 1000;
	r = bpf_timer_init(&TIMER_OF(v), &m, CLOCK_MONOTONIC);
	if (r)
		return r;
	r = bpf_timer_set_callback(&TIMER_OF(v), cb);
	if (r)
		return r;
	return bpf_timer_start(&TIMER_OF(v), 5 * MS, 0);
}

char LICENSE[] SEC("license") = "GPL";

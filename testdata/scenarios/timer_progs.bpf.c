// SPDX-License-Identifier: GPL-2.0
/*
 * Timers armed from XDP and TC programs (B67) and a 0 ns timer armed from a syscall program (B74).
 * xdp_arm / tc_arm take the element index from the first / second packet byte, (re)initialise
 * parr[index] (-EBUSY after the first time), set the callback and arm 5 ms; the results land in
 * xdp_res[] / tc_res[] and the verdict is PASS/OK when the start succeeded, else DROP/SHOT.
 */
#include "scenario.h"

struct pelem {
	u64 n;
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct pelem);
} parr SEC(".maps");

/* One struct, so that the layout of .bss is the declaration order. */
struct {
	u32 fired[4];
	s32 xdp_res[3];
	s32 tc_res[3];
	s32 zero_res[3];
	u32 seen_right_after_start; /* B74: fired[3] read just after bpf_timer_start */
	u32 seen_after_spin;        /* B74: fired[3] after spinning up to 2^20 iterations */
} out;

static int cb(void *map, u32 *key, struct pelem *v)
{
	out.fired[*key & 3]++;
	v->n++;
	return 0;
}

static __always_inline int arm(u32 key, s32 *res)
{
	struct pelem *v = bpf_map_lookup_elem(&parr, &key);

	if (!v)
		return -1;
	res[0] = bpf_timer_init(&v->t, &parr, CLOCK_MONOTONIC);
	res[1] = bpf_timer_set_callback(&v->t, cb);
	res[2] = bpf_timer_start(&v->t, 5 * MS, 0);
	return res[2];
}

SEC("xdp")
int xdp_arm(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (data + 1 > end)
		return XDP_ABORTED;
	return arm(data[0] & 3, out.xdp_res) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tc_arm(struct __sk_buff *skb)
{
	unsigned char *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (data + 2 > end)
		return 2; /* TC_ACT_SHOT */
	return arm(data[1] & 3, out.tc_res) ? 2 : 0; /* TC_ACT_SHOT : TC_ACT_OK */
}

static int spin(u32 i, void *ctx)
{
	return out.fired[3] ? 1 : 0;
}

SEC("syscall")
int zero_timer(void *ctx)
{
	u32 key = 3;
	struct pelem *v = bpf_map_lookup_elem(&parr, &key);

	if (!v)
		return -1;
	out.zero_res[0] = bpf_timer_init(&v->t, &parr, CLOCK_MONOTONIC);
	out.zero_res[1] = bpf_timer_set_callback(&v->t, cb);
	out.zero_res[2] = bpf_timer_start(&v->t, 0, 0);
	out.seen_right_after_start = out.fired[3];
	bpf_loop(1 << 20, spin, 0, 0);
	out.seen_after_spin = out.fired[3];
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

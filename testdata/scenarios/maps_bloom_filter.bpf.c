// SPDX-License-Identifier: GPL-2.0
/*
 * Bloom filter scenario (issue 4): a filter of 16 entries with 3 hash functions (map_extra) and
 * BPF_F_ZERO_SEED, so that its hashes, and so its false positives, are the kernel's. A program
 * pushes values, then peeks 256 candidates and records which ones the filter claims (a bit set
 * in `out`); user space pushes through update steps. XDP programs, as sleepable (syscall)
 * programs may not use bloom filters. Results land in `out` (.bss).
 */
#include "scenario.h"

#define BPF_MAP_TYPE_BLOOM_FILTER_ 30 /* uapi 5.16 */
#define EOPNOTSUPP 95

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER_);
	__uint(max_entries, 16);
	__uint(value_size, 4);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__uint(map_extra, 3);
} bloom SEC(".maps");

struct {
	s64 push[4];
	u64 claimed[4];   /* bit v: peek(v * 3) returned 0, for v in 0..255 */
	u32 hits;
} out;

static int push_one(u32 i, void *ctx)
{
	u32 v = i * 3 * 7;   /* multiples of 21: every seventh candidate */

	bpf_map_push_elem(&bloom, &v, BPF_ANY);
	return 0;
}

static int peek_one(u32 i, void *ctx)
{
	u32 v = i * 3, w = (i >> 6) & 3;

	if (bpf_map_peek_elem(&bloom, &v) == 0) {
		out.claimed[w] |= 1ULL << (i & 63);
		out.hits++;
	}
	return 0;
}

SEC("xdp")
int fill(struct xdp_md *ctx)
{
	u32 v = 5;

	out.push[0] = bpf_map_push_elem(&bloom, &v, BPF_EXIST);   /* -EINVAL: only BPF_ANY */
	out.push[1] = bpf_map_push_elem(&bloom, &v, 0);
	out.push[2] = bpf_map_peek_elem(&bloom, &v);              /* 0: pushed */
	bpf_loop(20, push_one, 0, 0);
	return XDP_PASS;
}

SEC("xdp")
int probe(struct xdp_md *ctx)
{
	out.hits = 0;
	for (int i = 0; i < 4; i++)
		out.claimed[i] = 0;
	bpf_loop(256, peek_one, 0, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

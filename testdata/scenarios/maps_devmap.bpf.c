// SPDX-License-Identifier: GPL-2.0
/*
 * Devmaps (issue 4): bpf_redirect_map through a BPF_MAP_TYPE_DEVMAP (4-byte values) and a
 * BPF_MAP_TYPE_DEVMAP_HASH (struct bpf_devmap_val), filled from user space with ifindex 1 (lo),
 * and bpf_map_lookup_elem on both from XDP. A test run does not perform the redirect: it returns
 * XDP_REDIRECT (4) when the key holds a device, the action in the low bits of flags when it does
 * not, XDP_REDIRECT for BPF_F_BROADCAST whatever the key, XDP_ABORTED for an unknown flag.
 * Every result lands in `out` (.bss).
 */
#include "scenario.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u32);
} tx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, struct bpf_devmap_val);
} txh SEC(".maps");

/* One struct, so that the layout of .bss is the declaration order. */
struct {
	s64 tx[10];
	s64 txh[8];
} out;

/* The devmap: lookups of a present and an absent key, redirects with each fallback action. */
SEC("xdp")
int redirect_devmap(struct xdp_md *ctx)
{
	u32 k = 0;
	u32 *v;
	int i = 0;

	v = bpf_map_lookup_elem(&tx, &k);
	out.tx[i++] = v ? *v : -1;                                     /* 1 while key 0 holds lo */
	k = 2;
	v = bpf_map_lookup_elem(&tx, &k);
	out.tx[i++] = v ? *v : -1;                                     /* -1 */
	out.tx[i++] = bpf_redirect_map(&tx, 2, XDP_PASS);              /* 2: absent, fallback */
	out.tx[i++] = bpf_redirect_map(&tx, 2, XDP_DROP);              /* 1 */
	out.tx[i++] = bpf_redirect_map(&tx, 9, XDP_TX);                /* 3: past max_entries */
	out.tx[i++] = bpf_redirect_map(&tx, 2, BPF_F_BROADCAST);       /* 4: broadcast ignores the key */
	out.tx[i++] = bpf_redirect_map(&tx, 0, 1ULL << 5);             /* 0: unknown flag */
	out.tx[i++] = bpf_redirect_map(&tx, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS); /* 4 */
	out.tx[i++] = bpf_redirect_map(&tx, (1ULL << 32) | 0, XDP_DROP); /* the key is truncated to u32 */
	out.tx[i++] = bpf_redirect_map(&tx, 0, XDP_PASS);              /* 4 while key 0 holds lo */
	return bpf_redirect_map(&tx, 0, XDP_PASS);
}

/* The devmap hash: struct bpf_devmap_val lookups (ifindex, program id 0), redirects by key. */
SEC("xdp")
int redirect_devmap_hash(struct xdp_md *ctx)
{
	struct bpf_devmap_val *v;
	u32 k = 1;
	int i = 0;

	v = bpf_map_lookup_elem(&txh, &k);
	out.txh[i++] = v ? v->ifindex : -1;
	out.txh[i++] = v ? v->bpf_prog.id : -1;
	k = 5;
	v = bpf_map_lookup_elem(&txh, &k);
	out.txh[i++] = v ? v->ifindex : -1;
	out.txh[i++] = bpf_redirect_map(&txh, 5, XDP_DROP);            /* 1: absent */
	out.txh[i++] = bpf_redirect_map(&txh, 5, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS); /* 4 */
	out.txh[i++] = bpf_redirect_map(&txh, 1000, XDP_TX);           /* 4 while key 1000 holds lo */
	out.txh[i++] = bpf_redirect_map(&txh, 1, 1ULL << 2);           /* 0: BPF_F_INGRESS is not a devmap flag */
	return bpf_redirect_map(&txh, 1, XDP_PASS);
}

char _license[] SEC("license") = "GPL";

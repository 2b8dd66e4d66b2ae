// SPDX-License-Identifier: GPL-2.0
/*
 * map_extra in a BTF map definition (issue 3): a bloom filter whose map_extra is the number of
 * hash functions (3; the kernel takes 1..15 in its low 4 bits), next to maps that leave it 0.
 * The loader tests read it back and compare it with libbpf (bpf_map__map_extra), the kernel
 * (bpf_map_info.map_extra) and bpftool's dump of the object's BTF.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define BPF_MAP_TYPE_BLOOM_FILTER_ 30 /* uapi 5.16 */

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER_);
	__uint(max_entries, 64);
	__uint(value_size, 4);
	__uint(map_extra, 3);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
	__uint(map_extra, 0);
} plain SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp")
int bloom(struct xdp_md *ctx)
{
	__u32 v = ctx->ingress_ifindex, k = 0;
	__u64 *c = bpf_map_lookup_elem(&counts, &k);

	if (bpf_map_peek_elem(&seen, &v) == 0 && c)
		(*c)++;
	bpf_map_push_elem(&seen, &v, BPF_ANY);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

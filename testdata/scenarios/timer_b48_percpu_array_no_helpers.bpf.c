// SPDX-License-Identifier: GPL-2.0
/*
 * B48 through libbpf: the kernel refuses a per-CPU array whose BTF value has a timer (EOPNOTSUPP),
 * libbpf 1.1 then retries the creation without BTF, which succeeds; a program that only reads the
 * map loads and runs.
 */
#include "scenario.h"

struct elem {
	u64 data;
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, struct elem);
} m SEC(".maps");

SEC("syscall")
int use(void *ctx)
{
	u32 k = 0;
	struct elem *v = bpf_map_lookup_elem(&m, &k);

	if (!v)
		return -ENOENT;
	v->data += 5;
	return v->data;
}

char LICENSE[] SEC("license") = "GPL";

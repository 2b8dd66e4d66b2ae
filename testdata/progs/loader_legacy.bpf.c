// Loader fixture: a legacy SEC("maps") definition. libbpf 1.x refuses the section (ENOTSUP);
// cilium/ebpf and aya still read it, and so does tsbpf. libbpf 1.1's headers dropped the struct,
// so it is declared here.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 10,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_map_def SEC("maps") legacy_array = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 2,
};

SEC("socket")
int legacy_user(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&legacy_hash, &key);

	if (bpf_map_lookup_elem(&legacy_array, &key))
		return 1;
	return v ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";

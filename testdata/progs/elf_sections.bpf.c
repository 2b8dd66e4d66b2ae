// ELF reader fixture: several programs in several sections, a .text subprogram, global data
// (.bss, .data, .rodata), a BTF-defined map and a legacy SEC("maps") map. Only the ELF layout
// matters here; the programs are not meant to be loaded by a kernel.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// libbpf 1.x headers dropped struct bpf_map_def; the legacy layout is declared by hand.
struct legacy_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct legacy_map_def legacy_counts SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 4,
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} btf_hash SEC(".maps");

__u64 bss_counter;
__u32 data_seed = 7;
const volatile __u32 rodata_limit = 100;

static __noinline __u64 mix(__u64 x)
{
	return (x * 31) ^ (x >> 3) ^ data_seed;
}

SEC("xdp")
int xdp_prog(struct xdp_md *ctx)
{
	__u32 key = 1;
	__u64 *v = bpf_map_lookup_elem(&btf_hash, &key);
	if (v)
		bss_counter += mix(*v);
	return bss_counter > rodata_limit ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tc_prog(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&legacy_counts, &key);
	if (!v)
		return 0;
	*v = mix(skb->len);
	return 1;
}

SEC("socket")
int socket_prog(struct __sk_buff *skb)
{
	return (int)mix(skb->protocol) & 1;
}

char LICENSE[] SEC("license") = "GPL";

// Loader fixture: every BTF map declaration style, map-in-map with inner templates and initial
// slots, a prog array with initial program slots, global data of each kind and kconfig externs.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair {
	__u32 a;
	__u64 b;
};

// key and value as BTF types.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct pair);
} by_type SEC(".maps");

// key and value as sizes only (no BTF types for the kernel).
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 24);
} by_size SEC(".maps");

// pinning and numa_node.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32);
	__uint(numa_node, 0);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__type(key, __u32);
	__type(value, __u32);
} pinned_lru SEC(".maps");

struct inner_arr {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_arr);
} outer_arr SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__uint(max_entries, 1);
		__type(key, __u32);
		__type(value, __u32);
	});
} outer_hash SEC(".maps") = {
	.values = { [1] = (void *)&inner_b },
};

int tail_a(struct __sk_buff *skb);
int tail_b(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 3);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jumps SEC(".maps") = {
	.values = { [0] = (void *)&tail_a, [2] = (void *)&tail_b },
};

// Global data of each kind.
__u64 counter = 7;                                         // .data
const volatile __u32 limit = 42;                           // .rodata
__u64 zeroed;                                              // .bss
static __u32 hidden_total;                                 // .bss, static
__u32 custom_data SEC(".data.custom") = 5;                 // .data.custom
const volatile __u64 custom_ro SEC(".rodata.tables") = 9;  // .rodata.tables

extern int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern char CONFIG_NOT_A_REAL_OPTION __kconfig __weak;

SEC("tc")
int tail_a(struct __sk_buff *skb)
{
	return 1;
}

SEC("tc")
int tail_b(struct __sk_buff *skb)
{
	return 2;
}

SEC("tc")
int entry(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct pair *p;
	void *inner;
	__u64 k64 = skb->len;

	p = bpf_map_lookup_elem(&by_type, &k64);
	if (p)
		p->b += limit;
	if (bpf_map_lookup_elem(&by_size, &key))
		counter++;
	inner = bpf_map_lookup_elem(&outer_arr, &key);
	if (inner)
		bpf_map_lookup_elem(inner, &key);
	inner = bpf_map_lookup_elem(&outer_hash, &key);
	if (inner)
		bpf_map_lookup_elem(inner, &key);
	bpf_map_lookup_elem(&pinned_lru, &key);
	zeroed += LINUX_KERNEL_VERSION;
	hidden_total += CONFIG_BPF_SYSCALL + CONFIG_NOT_A_REAL_OPTION;
	custom_data += custom_ro;
	bpf_tail_call(skb, &jumps, 0);
	return hidden_total;
}

char LICENSE[] SEC("license") = "GPL";

// BTF fixture: map values with special fields (bpf_timer, bpf_spin_lock, bpf_wq, kptr), used by
// src/btf/special-fields tests. Each map name says what its value type tests.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __kptr __attribute__((btf_type_tag("kptr")))
#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))

/* The Debian uapi 6.1 header has no bpf_wq (added in 6.10). */
struct bpf_wq {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

struct v_timer { struct bpf_timer t; };
struct v_timer_lock { __u64 x; struct bpf_spin_lock lock; struct bpf_timer t; };
struct inner { struct bpf_timer t; };
struct v_nested { __u64 a; __u64 b; struct inner in; };
struct v_two { struct bpf_timer t1; struct bpf_timer t2; };
struct v_arr2 { struct bpf_timer t[2]; };
struct v_mis { __u32 x; struct bpf_timer t; } __attribute__((packed));
struct v_wq { __u64 a; struct bpf_wq w; struct bpf_timer t; };
struct v_two_locks { struct bpf_spin_lock a; struct bpf_spin_lock b; };
struct node_data { __u64 v; };
struct v_kptr { struct node_data __kptr *ref; struct node_data __kptr_untrusted *unref; __u64 plain; struct node_data d; };
struct v_none { __u64 a; __u32 b[4]; };

#define ARRAY_MAP(name, vtype) \
	struct { \
		__uint(type, BPF_MAP_TYPE_ARRAY); \
		__uint(max_entries, 1); \
		__type(key, __u32); \
		__type(value, vtype); \
	} name SEC(".maps")

ARRAY_MAP(m_timer, struct v_timer);
ARRAY_MAP(m_timer_lock, struct v_timer_lock);
ARRAY_MAP(m_nested, struct v_nested);
ARRAY_MAP(m_two, struct v_two);
ARRAY_MAP(m_arr2, struct v_arr2);
ARRAY_MAP(m_mis, struct v_mis);
ARRAY_MAP(bare, struct bpf_timer);
ARRAY_MAP(m_wq, struct v_wq);
ARRAY_MAP(m_two_locks, struct v_two_locks);
ARRAY_MAP(m_kptr, struct v_kptr);
ARRAY_MAP(m_none, struct v_none);

SEC("xdp")
int special_prog(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct v_timer *v = bpf_map_lookup_elem(&m_timer, &key);

	return v ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";

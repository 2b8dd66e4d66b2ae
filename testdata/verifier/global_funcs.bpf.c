// Verifier fixture: global (non-static) functions, which the kernel verifies once each, on their
// own, from their BTF prototype: a context argument (struct xdp_md *), a pointer argument that
// may be NULL, a scalar argument, a global function calling another, and one that is only safe
// for the value its caller passes (so the kernel refuses the program that calls it).
// Checked against the kernel by src/verifier/global-func.test.ts.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair {
	__u32 a;
	__u32 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct pair);
} pairs SEC(".maps");

__u32 table[8];

/* The context arrives as PTR_TO_CTX: its packet pointers can be checked as in the program. */
__noinline int packet_len(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + 14 > data_end)
		return 0;
	return data_end - data;
}

/* A pointer argument may be NULL: the function must check before reading. */
__noinline int pair_sum(struct pair *p)
{
	if (!p)
		return 0;
	return p->a + p->b;
}

/* A scalar argument is any value: it must be bounded before it indexes anything. */
__noinline int table_at(__u64 idx)
{
	if (idx >= 8)
		return 0;
	return table[idx];
}

/* Global functions may call each other; each is verified once. */
__noinline int weigh(struct xdp_md *ctx, struct pair *p)
{
	return packet_len(ctx) + pair_sum(p) + table_at(p ? p->a : 0);
}

SEC("xdp")
int global_ok(struct xdp_md *ctx)
{
	__u32 key = 1;
	struct pair *p = bpf_map_lookup_elem(&pairs, &key);

	/* p may be NULL here: a maybe-NULL pointer is fine for a pointer argument. */
	return weigh(ctx, p) > 100 ? XDP_DROP : XDP_PASS;
}

/* Safe for the caller's idx = 3, but not for every int: the kernel refuses it. */
__noinline int table_unchecked(int idx)
{
	return table[idx];
}

SEC("xdp")
int global_unsafe(struct xdp_md *ctx)
{
	return table_unchecked(3) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

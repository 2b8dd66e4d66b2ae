// BTF fixture: one of every kind clang emits, used by src/btf tests.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __type_tag(x) __attribute__((btf_type_tag(x)))

enum color { RED, GREEN = 5, BLUE };
enum neg { NEG_A = -3, NEG_B = 7 };
enum big64 { BIG_LO = 1, BIG_HI = 0x123456789aULL };

typedef unsigned long long u64_t;
typedef int (*cb_t)(void *ctx, long x, ...);

union number {
	int i;
	float f;
	double d;
};

struct bits {
	unsigned int a : 3;
	int b : 5;
	unsigned char c;
	unsigned long long d : 40;
	_Bool flag;
} __tag("bits_struct");

struct kinds {
	char name[8];
	signed char sc;
	short s;
	unsigned short us;
	long long ll;
	u64_t u;
	const volatile int cv;
	int *restrict rp;
	int __type_tag("user") *tagged;
	enum color col;
	enum neg n;
	enum big64 b64;
	union number num;
	struct bits bits;
	cb_t cb;
	struct fwd_only *fwd;
	int matrix[2][3];
	int arr0[0];
} __tag("kinds_struct");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct kinds);
} kinds_map SEC(".maps");

int global_counter __tag("counter_tag") = 7;
const volatile int ro_value = 3;
char bss_buf[16];

static __attribute__((noinline)) int helper_fn(int x __tag("arg_tag"), struct kinds *k) __tag("func_tag")
{
	return x + k->sc + k->num.i;
}

SEC("xdp")
int kinds_prog(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct kinds *k = bpf_map_lookup_elem(&kinds_map, &key);

	if (!k)
		return XDP_PASS;
	k->bits.a = 5;
	global_counter++;
	bss_buf[1] = (char)ro_value;
	return helper_fn(ctx->ingress_ifindex, k) > 0 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";

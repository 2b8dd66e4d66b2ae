// Loader fixture: programs and their subprograms. Several sections, one section (xdp) with two
// programs, static and global subprograms in .text (one reached from two programs, one reached
// only through another subprogram), bpf_loop and bpf_for_each_map_elem callbacks, and a bpf_timer
// callback. Every program here loads on a 6.18 kernel, so the libbpf comparison covers all of it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef BPF_F_TIMER_ABS
#define BPF_F_TIMER_ABS (1ULL << 0)
#endif
#define CLOCK_MONOTONIC 1

struct elem {
	struct bpf_timer t;
	__u64 fired;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct elem);
} timers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

__u64 loop_sum;
__u64 visited;

static __noinline __u64 square(__u64 x)
{
	return x * x;
}

// Reached only through square_plus(): checks recursive reachability.
__noinline int square_plus(int x)
{
	return (int)square(x) + 1;
}

static int sum_cb(__u32 idx, void *ctx)
{
	loop_sum += square(idx);
	return 0;
}

static long visit_cb(void *map, __u32 *key, __u64 *val, void *ctx)
{
	visited += *val;
	return 0;
}

static int timer_cb(void *map, __u32 *key, struct elem *val)
{
	val->fired++;
	return 0;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return square_plus(1) > 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int xdp_loop(struct xdp_md *ctx)
{
	bpf_loop(8, sum_cb, 0, 0);
	return XDP_PASS;
}

SEC("tc")
int tc_count(struct __sk_buff *skb)
{
	__u32 key = skb->len;
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	bpf_for_each_map_elem(&counts, visit_cb, 0, 0);
	return square_plus(0);
}

SEC("syscall")
int arm_timer(void *ctx)
{
	__u32 key = 0;
	struct elem *e = bpf_map_lookup_elem(&timers, &key);

	if (!e)
		return 1;
	bpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&e->t, timer_cb);
	bpf_timer_start(&e->t, 1000, BPF_F_TIMER_ABS);
	return 0;
}

SEC("socket")
int sock_filter(struct __sk_buff *skb)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int tp_getpid(void *ctx)
{
	return square_plus(2) & 1;
}

SEC("kprobe/do_nanosleep")
int kp_sleep(void *ctx)
{
	return 0;
}

SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *skb)
{
	return 1;
}

char LICENSE[] SEC("license") = "GPL";

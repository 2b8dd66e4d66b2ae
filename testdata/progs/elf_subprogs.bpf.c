// ELF reader fixture: global (non-static) functions in .text called from two programs, a
// callback passed to bpf_loop, a map of type ARRAY with a timer-free value, and a weak symbol.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

__u64 loops_done;
int tunable __weak = 3;

__noinline int add_one(int x)
{
	return x + 1;
}

static int loop_cb(__u32 idx, void *ctx)
{
	loops_done += add_one(idx);
	return 0;
}

SEC("kprobe/do_nanosleep")
int probe_entry(void *ctx)
{
	bpf_loop(4, loop_cb, 0, 0);
	return add_one(tunable);
}

SEC("tracepoint/syscalls/sys_enter_write")
int tp_write(void *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&totals, &key);
	if (v)
		__sync_fetch_and_add(v, add_one(1));
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

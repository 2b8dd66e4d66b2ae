// The smallest loadable object: the libbpf comparison loads it first to learn whether this
// process may load BPF programs at all, so a missing capability skips instead of failing.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int probe(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

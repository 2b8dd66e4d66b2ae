/* Health-checked load balancing in XDP. Backends announce themselves with UDP heartbeats to
 * heartbeat_port; the XDP program records the time of each. A periodic timer (probe_interval_ns)
 * probes every backend: DOWN when its last heartbeat is older than dead_after_ns, UP again when
 * heartbeats return, counting the flips. Other IPv4 TCP/UDP packets (to vip, or to any address
 * when vip is 0) are sent to a healthy backend chosen by a hash of the flow: the destination
 * address is rewritten, the IPv4 and L4 checksums updated, and the packet returned with XDP_TX.
 * With no healthy backend the packet is dropped. */
#include "packet.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_BACKENDS 8

const volatile __u64 probe_interval_ns = NSEC_PER_SEC;
const volatile __u64 dead_after_ns = 3 * NSEC_PER_SEC;
const volatile __u16 heartbeat_port = 7777;
const volatile __be32 vip = 0;

enum backend_state {
	BACKEND_UNUSED = 0,
	BACKEND_DOWN = 1, /* configured; no fresh heartbeat at the last probe */
	BACKEND_UP = 2,
};

struct backend {
	__be32 addr;
	__u32 state;
	__u64 last_heartbeat_ns; /* 0: never */
	__u64 last_change_ns;
	__u64 heartbeats;
	__u64 picks;
	__u64 flips;
};

struct health {
	struct bpf_timer timer;
	__u64 probes;
	__u64 last_probe_ns;
	__u64 flips_up;
	__u64 flips_down;
	__u64 no_backend;  /* packets dropped: nothing healthy */
	__u64 balanced;    /* packets sent to a backend */
	__u64 stray_heartbeats; /* heartbeats from unknown addresses */
	__u32 healthy;
	__u32 configured;
};

/* The ctx of health_setup: backend addresses in network byte order. */
struct health_config {
	__u32 count;
	__be32 addrs[MAX_BACKENDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct health);
} health SEC(".maps");

static int probe(void *map, __u32 *key, struct health *h)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 healthy = 0;

#pragma unroll
	for (__u32 i = 0; i < MAX_BACKENDS; i++) {
		__u32 idx = i;
		struct backend *b = bpf_map_lookup_elem(&backends, &idx);
		if (!b || b->state == BACKEND_UNUSED)
			continue;
		__u64 hb = b->last_heartbeat_ns;
		int fresh = hb != 0 && now - hb <= dead_after_ns;
		if (fresh && b->state == BACKEND_DOWN) {
			b->state = BACKEND_UP;
			b->last_change_ns = now;
			b->flips++;
			h->flips_up++;
		} else if (!fresh && b->state == BACKEND_UP) {
			b->state = BACKEND_DOWN;
			b->last_change_ns = now;
			b->flips++;
			h->flips_down++;
		}
		if (b->state == BACKEND_UP)
			healthy++;
	}
	h->healthy = healthy;
	h->probes++;
	h->last_probe_ns = now;
	bpf_timer_start(&h->timer, probe_interval_ns, 0);
	return 0;
}

/* Configures the backends (all DOWN until their first heartbeat) and arms the probe timer.
 * Returns 0 or the failing helper's -errno. */
SEC("syscall")
int health_setup(struct health_config *cfg)
{
	__u32 zero = 0;
	__u64 now = bpf_ktime_get_ns();
	struct health *h = bpf_map_lookup_elem(&health, &zero);
	__u32 count = cfg->count;
	long err;

	if (!h)
		return -EINVAL;
	if (count > MAX_BACKENDS)
		return -EINVAL;
#pragma unroll
	for (__u32 i = 0; i < MAX_BACKENDS; i++) {
		__u32 idx = i;
		struct backend *b = bpf_map_lookup_elem(&backends, &idx);
		if (!b)
			return -EINVAL;
		if (i < count) {
			b->addr = cfg->addrs[i];
			b->state = BACKEND_DOWN;
			b->last_change_ns = now;
		} else {
			b->addr = 0;
			b->state = BACKEND_UNUSED;
		}
		b->last_heartbeat_ns = 0;
	}
	h->configured = count;
	h->healthy = 0;
	err = bpf_timer_init(&h->timer, &health, CLOCK_MONOTONIC);
	if (err && err != -EBUSY)
		return err;
	err = bpf_timer_set_callback(&h->timer, probe);
	if (err)
		return err;
	return bpf_timer_start(&h->timer, probe_interval_ns, 0);
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* RFC 1624 incremental update for a 32-bit field; byte order cancels out. */
static __always_inline __u16 csum_replace4(__u16 check, __be32 from, __be32 to)
{
	__u32 sum = (__u16)~check;
	sum += (__u16)~(from & 0xffff);
	sum += (__u16)~(from >> 16);
	sum += to & 0xffff;
	sum += to >> 16;
	return ~csum_fold(sum);
}

static __always_inline __u32 flow_hash(const struct parsed *p)
{
	__u32 h = p->saddr * 0x9e3779b1u;
	h ^= ((__u32)p->sport << 16 | p->dport) * 0x85ebca6bu;
	h ^= p->daddr;
	h ^= h >> 15;
	h *= 0xc2b2ae35u;
	h ^= h >> 13;
	return h ^ p->proto;
}

SEC("xdp")
int xdp_balance(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct parsed p = {};
	__u32 zero = 0;
	struct health *h;

	switch (parse_frame(ctx, &p)) {
	case PARSE_OK:
		break;
	case PARSE_MALFORMED:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
	h = bpf_map_lookup_elem(&health, &zero);
	if (!h)
		return XDP_ABORTED;

	if (p.proto == IPPROTO_UDP && p.dport == bpf_htons(heartbeat_port)) {
		__u64 now = bpf_ktime_get_ns();
#pragma unroll
		for (__u32 i = 0; i < MAX_BACKENDS; i++) {
			__u32 idx = i;
			struct backend *b = bpf_map_lookup_elem(&backends, &idx);
			if (b && b->state != BACKEND_UNUSED && b->addr == p.saddr) {
				b->last_heartbeat_ns = now;
				__sync_fetch_and_add(&b->heartbeats, 1);
				return XDP_DROP; /* consumed */
			}
		}
		__sync_fetch_and_add(&h->stray_heartbeats, 1);
		return XDP_DROP;
	}
	if (vip && p.daddr != vip)
		return XDP_PASS;

	/* Start at the flow's slot among the configured backends and take the first UP one from
	 * there (wrapping): a flow keeps its backend while that backend stays UP. */
	__u32 configured = h->configured;
	if (configured == 0 || configured > MAX_BACKENDS) {
		__sync_fetch_and_add(&h->no_backend, 1);
		return XDP_DROP;
	}
	__u32 start = flow_hash(&p) % configured;
	struct backend *chosen = 0;
	for (__u32 i = 0; i < MAX_BACKENDS; i++) {
		if (i >= configured)
			break;
		__u32 idx = (start + i) % configured;
		struct backend *b = bpf_map_lookup_elem(&backends, &idx);
		if (b && b->state == BACKEND_UP) {
			chosen = b;
			break;
		}
	}
	if (!chosen) {
		__sync_fetch_and_add(&h->no_backend, 1);
		return XDP_DROP;
	}
	__sync_fetch_and_add(&chosen->picks, 1);
	__sync_fetch_and_add(&h->balanced, 1);

	__be32 to = chosen->addr;
	struct iphdr *ip = data + (p.l3_off & 0xff);
	if ((void *)(ip + 1) > data_end)
		return XDP_ABORTED;
	__be32 from = ip->daddr;
	ip->check = csum_replace4(ip->check, from, to);
	ip->daddr = to;
	/* The TCP/UDP checksum covers the pseudo-header, which includes the destination. */
	if (p.proto == IPPROTO_TCP) {
		struct tcphdr *tcp = data + (p.l4_off & 0xff);
		if ((void *)(tcp + 1) > data_end)
			return XDP_ABORTED;
		tcp->check = csum_replace4(tcp->check, from, to);
	} else {
		struct udphdr *udp = data + (p.l4_off & 0xff);
		if ((void *)(udp + 1) > data_end)
			return XDP_ABORTED;
		if (udp->check) { /* 0: no checksum */
			__u16 c = csum_replace4(udp->check, from, to);
			udp->check = c ? c : 0xffff;
		}
	}
	return XDP_TX;
}

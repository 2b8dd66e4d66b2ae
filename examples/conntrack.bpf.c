/* Connection tracking for XDP: every IPv4 TCP/UDP flow (both directions folded into one entry)
 * lives in an LRU hash with its own bpf_timer. The timer is armed when the flow is created and
 * re-armed by each packet; when a flow has been idle for idle_timeout_ns (close_timeout_ns once a
 * FIN or RST was seen) the callback deletes the flow and counts the expiry. The LRU evicts the
 * least recently used flows when the table is full, which frees their timers (no callback runs).
 *
 * Verdicts: malformed frames are dropped; TCP packets that would open a flow without SYN are
 * dropped (strict_tcp); packets of a flow past its packet budget are dropped; everything else
 * passes (other ethertypes and IPv4 protocols pass untracked). */
#include "packet.h"

char LICENSE[] SEC("license") = "GPL";

/* Configuration: set before load (libbpf: bpf_map__initial_value on .rodata; tsbpf: the spec). */
const volatile __u64 idle_timeout_ns = 30 * NSEC_PER_SEC;
const volatile __u64 close_timeout_ns = 5 * NSEC_PER_SEC;
const volatile __u64 flow_pkt_budget = 0; /* 0 = unlimited */
const volatile __u32 strict_tcp = 1;

enum flow_state {
	FLOW_NEW = 1,         /* packets seen in the opening direction only */
	FLOW_ESTABLISHED = 2, /* the reply direction was seen too */
	FLOW_CLOSING = 3,     /* FIN or RST seen: short timeout */
};

/* The lower (addr, port) endpoint comes first, so both directions share one key. */
struct flow_key {
	__be32 addr_lo;
	__be32 addr_hi;
	__be16 port_lo;
	__be16 port_hi;
	__u8 proto;
	__u8 pad[3];
};

struct flow {
	struct bpf_timer timer;
	__u64 first_seen_ns;
	__u64 last_seen_ns;
	__u64 packets;
	__u64 bytes;
	__u32 state;
	__u8 orig_dir;   /* direction (0: lo->hi, 1: hi->lo) of the first packet */
	__u8 tcp_flags;  /* every TCP flag seen, OR-ed */
	__u16 pad;
};

/* Indices into the stats array (kept in sync with src/examples/layouts.ts). */
enum {
	STAT_PACKETS = 0,
	STAT_BYTES,
	STAT_NEW_FLOWS,
	STAT_EXPIRED,        /* idle timer fired and deleted the flow */
	STAT_EXPIRED_CLOSED, /* subset of EXPIRED: the flow had seen FIN/RST */
	STAT_PASS,
	STAT_DROP_MALFORMED,
	STAT_DROP_INVALID,   /* TCP without SYN for an unknown flow */
	STAT_DROP_BUDGET,
	STAT_UNTRACKED,      /* passed, not TCP/UDP over IPv4 */
	STAT_TIMER_ERRORS,   /* bpf_timer_init/start failed (e.g. -ENOMEM on 6.18) */
	STAT_LIVE,           /* written by conntrack_live */
	STAT_EVICTED,        /* written by conntrack_live: new - expired - live */
	STAT_INIT_ERRNO,     /* errno of the last failed bpf_timer_init (positive) */
	STAT_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);
	__type(value, struct flow);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);
	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline void init_error(long err)
{
	__u32 idx = STAT_INIT_ERRNO;
	__u64 *v;

	stat_add(STAT_TIMER_ERRORS, 1);
	v = bpf_map_lookup_elem(&stats, &idx);
	if (v)
		*v = -err;
}

static __always_inline __u64 flow_timeout(const struct flow *f)
{
	return f->state == FLOW_CLOSING ? close_timeout_ns : idle_timeout_ns;
}

/* Runs when a flow's timer expires. A packet may have touched the flow after the timer fired
 * (another CPU): then re-arm for the rest of the idle period instead of deleting. */
static int flow_expire(void *map, struct flow_key *key, struct flow *f)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 timeout = flow_timeout(f);
	__u64 idle = now - f->last_seen_ns;

	if (idle < timeout) {
		long err = bpf_timer_start(&f->timer, timeout - idle, 0);
		if (err)
			stat_add(STAT_TIMER_ERRORS, 1);
		return 0;
	}
	if (f->state == FLOW_CLOSING)
		stat_add(STAT_EXPIRED_CLOSED, 1);
	stat_add(STAT_EXPIRED, 1);
	bpf_map_delete_elem(map, key);
	return 0;
}

static __always_inline int verdict(__u32 stat, int action)
{
	stat_add(stat, 1);
	if (action == XDP_PASS && stat != STAT_PASS)
		stat_add(STAT_PASS, 1);
	return action;
}

SEC("xdp")
int xdp_conntrack(struct xdp_md *ctx)
{
	struct parsed p = {};
	struct flow_key key = {};
	struct flow *f;
	__u64 len = ctx->data_end - ctx->data;
	__u8 dir;

	stat_add(STAT_PACKETS, 1);
	stat_add(STAT_BYTES, len);

	switch (parse_frame(ctx, &p)) {
	case PARSE_OK:
		break;
	case PARSE_MALFORMED:
		return verdict(STAT_DROP_MALFORMED, XDP_DROP);
	default:
		return verdict(STAT_UNTRACKED, XDP_PASS);
	}

	/* Fold both directions: compare (addr, port) in network order as unsigned numbers. */
	__u32 sa = bpf_ntohl(p.saddr), da = bpf_ntohl(p.daddr);
	__u16 sp = bpf_ntohs(p.sport), dp = bpf_ntohs(p.dport);
	dir = (sa > da || (sa == da && sp > dp)) ? 1 : 0;
	key.proto = p.proto;
	if (dir == 0) {
		key.addr_lo = p.saddr; key.addr_hi = p.daddr;
		key.port_lo = p.sport; key.port_hi = p.dport;
	} else {
		key.addr_lo = p.daddr; key.addr_hi = p.saddr;
		key.port_lo = p.dport; key.port_hi = p.sport;
	}

	__u64 now = bpf_ktime_get_ns();
	f = bpf_map_lookup_elem(&flows, &key);
	if (!f) {
		if (p.proto == IPPROTO_TCP && strict_tcp && (p.tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
			return verdict(STAT_DROP_INVALID, XDP_DROP);
		struct flow init = {
			.first_seen_ns = now,
			.last_seen_ns = now,
			.state = FLOW_NEW,
			.orig_dir = dir,
		};
		/* BPF_NOEXIST: if another CPU created the flow meanwhile, use theirs. */
		if (bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST) == 0)
			stat_add(STAT_NEW_FLOWS, 1);
		f = bpf_map_lookup_elem(&flows, &key);
		if (!f)
			return verdict(STAT_TIMER_ERRORS, XDP_PASS);
		long err = bpf_timer_init(&f->timer, &flows, CLOCK_MONOTONIC);
		if (err && err != -EBUSY)
			init_error(err);
		else
			bpf_timer_set_callback(&f->timer, flow_expire);
	}

	__sync_fetch_and_add(&f->packets, 1);
	__sync_fetch_and_add(&f->bytes, len);
	f->last_seen_ns = now;
	f->tcp_flags |= p.tcp_flags;
	if (p.tcp_flags & (TCP_FIN | TCP_RST))
		f->state = FLOW_CLOSING;
	else if (f->state == FLOW_NEW && dir != f->orig_dir)
		f->state = FLOW_ESTABLISHED;

	/* Fails with -EINVAL when init failed above; the flow then lives until the LRU evicts it. */
	if (bpf_timer_start(&f->timer, flow_timeout(f), 0))
		stat_add(STAT_TIMER_ERRORS, 1);

	if (flow_pkt_budget && f->packets > flow_pkt_budget)
		return verdict(STAT_DROP_BUDGET, XDP_DROP);
	return verdict(STAT_PASS, XDP_PASS);
}

struct live_ctx {
	__u64 live;
};

static long count_flow(void *map, struct flow_key *key, struct flow *f, struct live_ctx *c)
{
	c->live++;
	return 0;
}

/* Counts the live flows and derives the evictions: every flow created is either still live,
 * expired by its timer, or was evicted by the LRU (an evicted flow's timer is freed, so nothing
 * else can count it). Returns the number of live flows. */
SEC("syscall")
int conntrack_live(void *ctx)
{
	struct live_ctx c = {};
	__u32 idx;
	__u64 *created, *expired, *slot;

	bpf_for_each_map_elem(&flows, count_flow, &c, 0);
	idx = STAT_NEW_FLOWS;
	created = bpf_map_lookup_elem(&stats, &idx);
	idx = STAT_EXPIRED;
	expired = bpf_map_lookup_elem(&stats, &idx);
	if (!created || !expired)
		return -EINVAL;
	idx = STAT_LIVE;
	slot = bpf_map_lookup_elem(&stats, &idx);
	if (slot)
		*slot = c.live;
	idx = STAT_EVICTED;
	slot = bpf_map_lookup_elem(&stats, &idx);
	if (slot) {
		__u64 gone = *created - c.live;
		*slot = gone > *expired ? gone - *expired : 0;
	}
	return c.live;
}

/* Periodic sampling. An XDP program counts packets and bytes; a self-re-arming timer samples the
 * counters every sample_interval_ns into a ring buffer as {sequence, timestamp, time since the
 * previous sample, counter values, rates}. The timer is re-armed with BPF_F_TIMER_ABS on a fixed
 * grid (start + k * interval), so callback latency does not accumulate as drift; ticks that are
 * already in the past are skipped and counted. A full ring buffer drops the sample and counts it. */
#include "packet.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 sample_interval_ns = 100 * NSEC_PER_MSEC;

struct counters {
	__u64 packets;
	__u64 bytes;
};

/* One ring buffer record (48 bytes; 56 with the ring buffer's 8-byte header). */
struct sample {
	__u64 seq;
	__u64 timestamp_ns;
	__u64 delta_ns;
	__u64 packets;       /* counter values at the sample */
	__u64 packets_per_sec;
	__u64 bytes_per_sec;
};

struct sampler {
	struct bpf_timer timer;
	__u64 next_ns;       /* the grid point the timer is armed for */
	__u64 last_ns;       /* time of the previous sample */
	__u64 last_packets;
	__u64 last_bytes;
	__u64 seq;           /* samples taken (written or dropped) */
	__u64 written;
	__u64 dropped;       /* ring buffer full */
	__u64 skipped_ticks; /* grid points missed because the callback ran late */
	struct sample last;  /* the latest sample, readable even when the ring buffer is full */
};


struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sampler);
} sampler SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} samples SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&counters, &zero);

	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, ctx->data_end - ctx->data);
	}
	return XDP_PASS;
}

static int take_sample(void *map, __u32 *key, struct sampler *s)
{
	__u32 zero = 0;
	__u64 now = bpf_ktime_get_ns();
	struct counters *c = bpf_map_lookup_elem(&counters, &zero);
	__u64 packets = 0, bytes = 0;

	if (c) {
		packets = c->packets;
		bytes = c->bytes;
	}
	__u64 delta = now - s->last_ns;
	s->last.seq = s->seq;
	s->last.timestamp_ns = now;
	s->last.delta_ns = delta;
	s->last.packets = packets;
	s->last.packets_per_sec = delta ? (packets - s->last_packets) * NSEC_PER_SEC / delta : 0;
	s->last.bytes_per_sec = delta ? (bytes - s->last_bytes) * NSEC_PER_SEC / delta : 0;

	struct sample *out = bpf_ringbuf_reserve(&samples, sizeof(*out), 0);
	if (out) {
		*out = s->last;
		bpf_ringbuf_submit(out, 0);
		s->written++;
	} else {
		s->dropped++;
	}
	s->seq++;
	s->last_ns = now;
	s->last_packets = packets;
	s->last_bytes = bytes;

	__u64 next = s->next_ns + sample_interval_ns;
	if (next <= now) {
		__u64 missed = (now - next) / sample_interval_ns + 1;
		s->skipped_ticks += missed;
		next += missed * sample_interval_ns;
	}
	s->next_ns = next;
	bpf_timer_start(&s->timer, next, BPF_F_TIMER_ABS);
	return 0;
}

/* Arms the sampling timer: first sample one interval from now. Returns 0 or -errno. */
SEC("syscall")
int sampler_start(void *ctx)
{
	__u32 zero = 0;
	struct sampler *s = bpf_map_lookup_elem(&sampler, &zero);
	struct counters *c = bpf_map_lookup_elem(&counters, &zero);
	__u64 now = bpf_ktime_get_ns();
	long err;

	if (!s || !c || sample_interval_ns == 0)
		return -EINVAL;
	err = bpf_timer_init(&s->timer, &sampler, CLOCK_MONOTONIC);
	if (err && err != -EBUSY)
		return err;
	err = bpf_timer_set_callback(&s->timer, take_sample);
	if (err)
		return err;
	s->last_ns = now;
	s->last_packets = c->packets;
	s->last_bytes = c->bytes;
	s->next_ns = now + sample_interval_ns;
	return bpf_timer_start(&s->timer, s->next_ns, BPF_F_TIMER_ABS);
}

/* Stops sampling: bpf_timer_cancel's result (1: a sample was pending, 0: none, -EINVAL: never
 * started). */
SEC("syscall")
int sampler_stop(void *ctx)
{
	__u32 zero = 0;
	struct sampler *s = bpf_map_lookup_elem(&sampler, &zero);

	if (!s)
		return -EINVAL;
	return bpf_timer_cancel(&s->timer);
}

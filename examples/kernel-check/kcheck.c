/* Runs the three examples on the real kernel with libbpf: loads each object (short timeouts set in
 * .rodata), runs its setup program and feeds packets with BPF_PROG_TEST_RUN, sleeps real time and
 * reads the maps / ring buffer. Prints what it measured and exits non-zero when an expectation
 * fails.  Build: cc -O2 -o kcheck kcheck.c -lbpf -lelf -lz   Run: ./kcheck [conntrack|healthcheck|sampler|all]
 * from examples/ (it opens ./<name>.bpf.o). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			failures++;                                        \
			printf("  FAIL %s:%d: ", __FILE__, __LINE__);      \
			printf(__VA_ARGS__);                               \
			printf("\n");                                      \
		}                                                          \
	} while (0)

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	while (now_ns() < t)
		usleep(200);
}

/* ---- packets ---- */

static uint16_t csum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#define TCP 6
#define UDP 17

/* Ethernet + IPv4 + TCP/UDP with valid checksums and `payload` bytes. Addresses in host order. */
static size_t build(uint8_t *b, int proto, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
		    uint8_t tcp_flags, size_t payload)
{
	size_t l4len = (proto == TCP ? 20 : 8) + payload, iplen = 20 + l4len;
	memset(b, 0, 14 + iplen);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	uint8_t *ip = b + 14, *l4 = ip + 20;
	ip[0] = 0x45;
	ip[2] = iplen >> 8; ip[3] = iplen;
	ip[8] = 64; ip[9] = proto;
	uint32_t s = htonl(saddr), d = htonl(daddr);
	memcpy(ip + 12, &s, 4); memcpy(ip + 16, &d, 4);
	uint16_t c = csum16(ip, 20, 0);
	ip[10] = c >> 8; ip[11] = c;
	l4[0] = sport >> 8; l4[1] = sport; l4[2] = dport >> 8; l4[3] = dport;
	if (proto == TCP) {
		l4[12] = 5 << 4;
		l4[13] = tcp_flags;
	} else {
		l4[4] = l4len >> 8; l4[5] = l4len;
	}
	for (size_t i = 0; i < payload; i++)
		l4[(proto == TCP ? 20 : 8) + i] = (uint8_t)i;
	uint32_t pseudo = (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) + (daddr & 0xffff) + proto + l4len;
	c = csum16(l4, l4len, pseudo);
	if (proto == UDP && c == 0)
		c = 0xffff;
	l4[proto == TCP ? 16 : 6] = c >> 8;
	l4[proto == TCP ? 17 : 7] = c;
	return 14 + iplen;
}

/* True when the IPv4 and L4 checksums of the frame verify. */
static int checksums_ok(const uint8_t *b, size_t n)
{
	const uint8_t *ip = b + 14;
	size_t iplen = ip[2] << 8 | ip[3];
	if (n < 14 + iplen || csum16(ip, 20, 0) != 0)
		return 0;
	uint32_t sa = ntohl(*(uint32_t *)(ip + 12)), da = ntohl(*(uint32_t *)(ip + 16));
	uint32_t pseudo = (sa >> 16) + (sa & 0xffff) + (da >> 16) + (da & 0xffff) + ip[9] + (iplen - 20);
	return csum16(ip + 20, iplen - 20, pseudo) == 0;
}

static int xdp_run(int prog_fd, const uint8_t *pkt, size_t n, uint8_t *out, uint32_t repeat)
{
	uint8_t scratch[1600];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = n, .data_out = out ? out : scratch,
		    .data_size_out = sizeof(scratch), .repeat = repeat);
	int err = bpf_prog_test_run_opts(prog_fd, &o);
	if (err) {
		printf("  test_run: %s\n", strerror(errno));
		return -1;
	}
	return o.retval;
}

static int syscall_run(int prog_fd, void *ctx, size_t n)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = ctx, .ctx_size_in = n);
	int err = bpf_prog_test_run_opts(prog_fd, &o);
	if (err) {
		printf("  test_run: %s\n", strerror(errno));
		return -1000;
	}
	return (int)o.retval;
}

static struct bpf_object *open_obj(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		printf("open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return obj;
}

/* Sets a .rodata variable by name (before load), using the object's BTF for its offset. */
static void set_rodata(struct bpf_object *obj, const char *name, const void *val, size_t size)
{
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		if (!strstr(bpf_map__name(m), ".rodata"))
			continue;
		size_t sz;
		uint8_t *data = (uint8_t *)bpf_map__initial_value(m, &sz);
		struct btf *btf = bpf_object__btf(obj);
		int id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
		const struct btf_type *sec = btf__type_by_id(btf, id);
		const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
		for (int i = 0; i < btf_vlen(sec); i++, vs++) {
			const struct btf_type *v = btf__type_by_id(btf, vs->type);
			if (strcmp(btf__name_by_offset(btf, v->name_off), name) == 0 && vs->size == size &&
			    vs->offset + size <= sz) {
				memcpy(data + vs->offset, val, size);
				return;
			}
		}
	}
	printf("no .rodata variable %s of size %zu\n", name, size);
	exit(2);
}

static void load(struct bpf_object *obj)
{
	if (bpf_object__load(obj)) {
		printf("load: %s\n", strerror(errno));
		exit(2);
	}
}

static int prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
	return p ? bpf_program__fd(p) : -1;
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	return bpf_object__find_map_fd_by_name(obj, name);
}

/* ---- conntrack ---- */

enum { S_PACKETS, S_BYTES, S_NEW, S_EXPIRED, S_EXPIRED_CLOSED, S_PASS, S_DROP_MALFORMED, S_DROP_INVALID,
       S_DROP_BUDGET, S_UNTRACKED, S_TIMER_ERRORS, S_LIVE, S_EVICTED, S_LAST_ERRNO, S_MAX };
static const char *stat_names[S_MAX] = {"packets", "bytes", "new", "expired", "expired_closed", "pass",
	"drop_malformed", "drop_invalid", "drop_budget", "untracked", "timer_errors", "live", "evicted", "init_errno"};

static void read_stats(int fd, uint64_t *s)
{
	for (uint32_t i = 0; i < S_MAX; i++)
		if (bpf_map_lookup_elem(fd, &i, &s[i]))
			s[i] = ~0ull;
}

static void print_stats(const char *when, const uint64_t *s)
{
	printf("  %-22s", when);
	for (int i = 0; i < S_MAX; i++)
		if (i != S_BYTES)
			printf(" %s=%llu", stat_names[i], (unsigned long long)s[i]);
	printf("\n");
}

static int count_entries(int fd, size_t key_size)
{
	uint8_t key[64], next[64];
	int n = 0;
	void *prev = NULL;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		n++;
		memcpy(key, next, key_size);
		prev = key;
	}
	return n;
}

static void check_conntrack(void)
{
	printf("conntrack: idle 50 ms, close 10 ms, budget 5 packets\n");
	struct bpf_object *obj = open_obj("conntrack.bpf.o");
	uint64_t idle = 50000000, close_ns = 10000000, budget = 5;
	set_rodata(obj, "idle_timeout_ns", &idle, 8);
	set_rodata(obj, "close_timeout_ns", &close_ns, 8);
	set_rodata(obj, "flow_pkt_budget", &budget, 8);
	bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "flows"), 64);
	load(obj);
	int xdp = prog_fd(obj, "xdp_conntrack"), live = prog_fd(obj, "conntrack_live");
	int stats = map_fd(obj, "stats"), flows = map_fd(obj, "flows");
	uint8_t pkt[256];
	uint64_t s[S_MAX];
	size_t n;
	int r;
	const uint32_t A = 0x0a000001, B = 0x0a000002;

	uint64_t t0 = now_ns();
	/* Flow 1: TCP A:1000 -> B:80, SYN, SYN-ACK back, ACK. Flow 2: UDP A:53 <-> B:5353. */
	n = build(pkt, TCP, A, B, 1000, 80, 0x02, 0);
	CHECK(xdp_run(xdp, pkt, n, 0, 1) == XDP_PASS, "SYN passes");
	n = build(pkt, TCP, B, A, 80, 1000, 0x12, 0);
	CHECK(xdp_run(xdp, pkt, n, 0, 1) == XDP_PASS, "SYN-ACK passes");
	n = build(pkt, UDP, A, B, 53, 5353, 0, 10);
	CHECK(xdp_run(xdp, pkt, n, 0, 1) == XDP_PASS, "UDP passes");
	/* Flow 3: TCP without SYN: invalid, dropped, not created. */
	n = build(pkt, TCP, A, B, 2000, 80, 0x10, 0);
	CHECK(xdp_run(xdp, pkt, n, 0, 1) == XDP_DROP, "ACK to unknown flow dropped");
	/* Malformed: IPv4 header claims 100 bytes, frame carries 40. */
	n = build(pkt, UDP, A, B, 1, 2, 0, 0);
	pkt[16] = 0; pkt[17] = 100;
	CHECK(xdp_run(xdp, pkt, n, 0, 1) == XDP_DROP, "truncated IPv4 dropped");
	/* Not IPv4 (ARP ethertype): passes untracked. */
	n = build(pkt, UDP, A, B, 1, 2, 0, 0);
	pkt[12] = 0x08; pkt[13] = 0x06;
	CHECK(xdp_run(xdp, pkt, n, 0, 1) == XDP_PASS, "ARP passes");
	/* Flow 4: UDP with 8 packets: the last 3 exceed the budget of 5. */
	n = build(pkt, UDP, B, A, 4000, 4001, 0, 100);
	int drops = 0;
	for (int i = 0; i < 8; i++)
		drops += xdp_run(xdp, pkt, n, 0, 1) == XDP_DROP;
	CHECK(drops == 3, "budget drops = %d, want 3", drops);
	/* Flow 5: TCP that closes (SYN then FIN): 10 ms timeout. */
	n = build(pkt, TCP, A, B, 3000, 443, 0x02, 0);
	xdp_run(xdp, pkt, n, 0, 1);
	n = build(pkt, TCP, A, B, 3000, 443, 0x11, 0);
	xdp_run(xdp, pkt, n, 0, 1);
	read_stats(stats, s);
	print_stats("t=0 after feed:", s);
	CHECK(s[S_NEW] == 4 && count_entries(flows, 16) == 4, "4 flows created");

	/* Poll until the closed flow expires. */
	uint64_t closed_at = 0, flow2_gone = 0;
	while (now_ns() - t0 < 30000000) {
		read_stats(stats, s);
		if (!closed_at && s[S_EXPIRED_CLOSED] == 1)
			closed_at = now_ns() - t0;
		usleep(500);
	}
	printf("  closed flow (10 ms timeout) expired at %.1f ms after the feed started\n", closed_at / 1e6);
	CHECK(closed_at >= 10000000 && closed_at < 25000000, "closed flow expiry");
	/* Touch flow 1 at t=30 ms: it must outlive flows 2 and 4. */
	n = build(pkt, TCP, A, B, 1000, 80, 0x10, 0);
	CHECK(xdp_run(xdp, pkt, n, 0, 1) == XDP_PASS, "established ACK passes");
	uint64_t touched = now_ns() - t0, flow1_gone = 0;
	while (now_ns() - t0 < 200000000) {
		read_stats(stats, s);
		int live_n = count_entries(flows, 16);
		if (!flow2_gone && live_n == 1)
			flow2_gone = now_ns() - t0;
		if (!flow1_gone && live_n == 0) {
			flow1_gone = now_ns() - t0;
			break;
		}
		usleep(500);
	}
	read_stats(stats, s);
	print_stats("after idle:", s);
	printf("  idle flows (last packet ~t=0) gone at %.1f ms; flow touched at %.1f ms gone at %.1f ms\n",
	       flow2_gone / 1e6, touched / 1e6, flow1_gone / 1e6);
	CHECK(flow2_gone >= 50000000 && flow2_gone < 70000000, "idle expiry at ~50 ms");
	CHECK(flow1_gone >= touched + 50000000 && flow1_gone < touched + 70000000, "re-armed expiry");
	CHECK(s[S_EXPIRED] == 4 && s[S_EXPIRED_CLOSED] == 1, "4 expired, 1 closed");

	/* LRU eviction: 100 new UDP flows into a 64-entry table. */
	for (int i = 0; i < 100; i++) {
		n = build(pkt, UDP, A + 1 + i, B, 5000 + i, 53, 0, 0);
		xdp_run(xdp, pkt, n, 0, 1);
	}
	r = syscall_run(live, NULL, 0);
	read_stats(stats, s);
	print_stats("100 flows into 64:", s);
	printf("  conntrack_live returned %d; live+expired+evicted = %llu, new = %llu\n", r,
	       (unsigned long long)(s[S_LIVE] + s[S_EXPIRED] + s[S_EVICTED]), (unsigned long long)s[S_NEW]);
	CHECK(r == count_entries(flows, 16) && r <= 64 && s[S_EVICTED] >= 36, "eviction accounting");
	CHECK(s[S_LIVE] + s[S_EXPIRED] + s[S_EVICTED] == s[S_NEW], "new = live + expired + evicted");
	uint64_t before = s[S_EXPIRED];
	usleep(80000);
	syscall_run(live, NULL, 0);
	read_stats(stats, s);
	print_stats("80 ms later:", s);
	/* On 6.18 bpf_timer_init may fail with -ENOMEM after some churn (kmalloc_nolock): such a
	 * flow has no timer and stays until the LRU evicts it. Every flow with a timer expired. */
	printf("  %llu timer helper failure(s), last init errno %llu; flows left without a timer: %llu\n",
	       (unsigned long long)s[S_TIMER_ERRORS], (unsigned long long)s[S_LAST_ERRNO], (unsigned long long)s[S_LIVE]);
	CHECK(s[S_LIVE] + (s[S_EXPIRED] - before) == (uint64_t)r, "survivors expired, evicted did not fire");
	CHECK(s[S_LIVE] == 0 || s[S_LAST_ERRNO] == ENOMEM, "only flows whose init failed with ENOMEM remain");
	bpf_object__close(obj);
}

/* ---- healthcheck ---- */

struct backend { uint32_t addr, state; uint64_t last_heartbeat_ns, last_change_ns, heartbeats, picks, flips; };
struct health { uint64_t timer[2], probes, last_probe_ns, flips_up, flips_down, no_backend, balanced, stray;
		uint32_t healthy, configured; };

static void read_health(int fd, struct health *h)
{
	uint32_t zero = 0;
	bpf_map_lookup_elem(fd, &zero, h);
}

static void check_healthcheck(void)
{
	printf("healthcheck: probe every 10 ms, dead after 30 ms, 3 backends\n");
	struct bpf_object *obj = open_obj("healthcheck.bpf.o");
	uint64_t interval = 10000000, dead = 30000000;
	set_rodata(obj, "probe_interval_ns", &interval, 8);
	set_rodata(obj, "dead_after_ns", &dead, 8);
	load(obj);
	int xdp = prog_fd(obj, "xdp_balance"), setup = prog_fd(obj, "health_setup");
	int hfd = map_fd(obj, "health"), bfd = map_fd(obj, "backends");
	struct { uint32_t count; uint32_t addrs[8]; } cfg = {3, {htonl(0x0a000101), htonl(0x0a000102), htonl(0x0a000103)}};
	uint8_t pkt[256], out[1600];
	size_t n;
	struct health h;

	CHECK(syscall_run(setup, &cfg, sizeof(cfg)) == 0, "setup");
	uint64_t t0 = now_ns();
	n = build(pkt, TCP, 0xc0a80001, 0x0a0000fe, 40000, 80, 0x02, 0);
	CHECK(xdp_run(xdp, pkt, n, 0, 1) == XDP_DROP, "no healthy backend: drop");
	/* Heartbeats from all three for 60 ms, then backend 3 goes silent. */
	uint64_t down_at = 0, up_at = 0, silent_from = 0, back_from = 0;
	int picked_down = 0, bad_csum = 0, balanced = 0;
	for (int tick = 0; tick < 30; tick++) { /* 30 ticks of 5 ms = 150 ms */
		sleep_until(t0 + tick * 5000000ull);
		for (int b = 0; b < 3; b++) {
			if (b == 2 && tick >= 12 && tick < 22)
				continue; /* silent from 60 ms to 110 ms */
			n = build(pkt, UDP, 0x0a000101 + b, 0x0a0000fe, 7777, 7777, 0, 4);
			xdp_run(xdp, pkt, n, 0, 1);
		}
		if (tick == 12)
			silent_from = now_ns() - t0;
		if (tick == 22)
			back_from = now_ns() - t0;
		/* Client traffic: 16 flows per tick. */
		for (int c = 0; c < 16; c++) {
			n = build(pkt, c & 1 ? UDP : TCP, 0xc0a80001 + c, 0x0a0000fe, 40000 + c, 80, 0x02, 20);
			int v = xdp_run(xdp, pkt, n, out, 1);
			if (v == XDP_TX) {
				balanced++;
				uint32_t d = ntohl(*(uint32_t *)(out + 30));
				if (!checksums_ok(out, n))
					bad_csum++;
				struct backend be;
				uint32_t idx = d - 0x0a000101;
				if (idx > 2 || bpf_map_lookup_elem(bfd, &idx, &be) || be.state != 2)
					picked_down++;
			}
		}
		read_health(hfd, &h);
		struct backend b3;
		uint32_t idx = 2;
		bpf_map_lookup_elem(bfd, &idx, &b3);
		if (!down_at && h.flips_down == 1)
			down_at = now_ns() - t0;
		if (down_at && !up_at && b3.state == 2)
			up_at = now_ns() - t0;
	}
	read_health(hfd, &h);
	printf("  probes=%llu healthy=%u flips_up=%llu flips_down=%llu balanced=%llu no_backend=%llu\n",
	       (unsigned long long)h.probes, h.healthy, (unsigned long long)h.flips_up,
	       (unsigned long long)h.flips_down, (unsigned long long)h.balanced, (unsigned long long)h.no_backend);
	printf("  backend 3 silent from %.1f ms: DOWN seen at %.1f ms; heartbeats back at %.1f ms: UP seen at %.1f ms\n",
	       silent_from / 1e6, down_at / 1e6, back_from / 1e6, up_at / 1e6);
	for (uint32_t i = 0; i < 3; i++) {
		struct backend be;
		bpf_map_lookup_elem(bfd, &i, &be);
		printf("  backend %u: state=%s heartbeats=%llu picks=%llu flips=%llu\n", i + 1,
		       be.state == 2 ? "UP" : "DOWN", (unsigned long long)be.heartbeats, (unsigned long long)be.picks,
		       (unsigned long long)be.flips);
	}
	CHECK(h.probes >= 13 && h.probes <= 16, "about 15 probes in 150 ms (got %llu)", (unsigned long long)h.probes);
	CHECK(h.flips_up == 4 && h.flips_down == 1, "flips: 3 up at start, 1 down, 1 up");
	CHECK(down_at > silent_from + 20000000 && down_at < silent_from + 50000000, "DOWN 30-40 ms after silence");
	CHECK(up_at > back_from && up_at < back_from + 20000000, "UP within a probe interval");
	CHECK(picked_down == 0 && bad_csum == 0 && balanced == (int)h.balanced, "only UP backends, valid checksums");
	CHECK(h.no_backend >= 1, "drops before the first probe");
	bpf_object__close(obj);
}

/* ---- sampler ---- */

struct sample { uint64_t seq, timestamp_ns, delta_ns, packets, pps, bps; };
struct sampler_state { uint64_t timer[2], next_ns, last_ns, last_packets, last_bytes, seq, written, dropped, skipped; struct sample last; };

static struct sample got[256];
static int ngot;

static int on_sample(void *ctx, void *data, size_t size)
{
	if (size == sizeof(struct sample) && ngot < 256)
		memcpy(&got[ngot++], data, size);
	return 0;
}

static void check_sampler(void)
{
	printf("sampler: every 10 ms, 4096-byte ring buffer\n");
	struct bpf_object *obj = open_obj("sampler.bpf.o");
	uint64_t interval = 10000000;
	set_rodata(obj, "sample_interval_ns", &interval, 8);
	load(obj);
	int xdp = prog_fd(obj, "xdp_count"), start = prog_fd(obj, "sampler_start"), stop = prog_fd(obj, "sampler_stop");
	int sfd = map_fd(obj, "sampler");
	struct ring_buffer *rb = ring_buffer__new(map_fd(obj, "samples"), on_sample, NULL, NULL);
	uint8_t pkt[256];
	size_t n = build(pkt, UDP, 1, 2, 3, 4, 0, 58); /* 100-byte frame */
	uint32_t zero = 0;
	struct sampler_state st;

	CHECK(syscall_run(start, NULL, 0) == 0, "start");
	uint64_t t0 = now_ns();
	/* 200 ms of 20 packets every 1 ms = 20k pps. One test run per packet: on this kernel a
	 * test run with repeat > 1 costs ~20 ms of setup, which would distort the rate. */
	for (int ms = 0; ms < 200; ms++) {
		sleep_until(t0 + ms * 1000000ull);
		for (int i = 0; i < 20; i++)
			xdp_run(xdp, pkt, n, 0, 1);
		ring_buffer__consume(rb);
	}
	sleep_until(t0 + 205000000);
	ring_buffer__consume(rb);
	uint64_t min_d = ~0ull, max_d = 0, sum_pps = 0;
	int mid = 0;
	for (int i = 1; i < ngot; i++) {
		uint64_t d = got[i].delta_ns;
		min_d = d < min_d ? d : min_d;
		max_d = d > max_d ? d : max_d;
		if (i >= 2 && i < ngot - 1) {
			sum_pps += got[i].pps;
			mid++;
		}
		CHECK(got[i].seq == got[i - 1].seq + 1, "sequence");
	}
	uint64_t span = ngot > 1 ? got[ngot - 1].timestamp_ns - got[0].timestamp_ns : 0;
	printf("  %d samples in 205 ms; delta min %.3f ms max %.3f ms; mean interval %.4f ms; mean rate %.0f pps\n",
	       ngot, min_d / 1e6, max_d / 1e6, ngot > 1 ? span / 1e6 / (ngot - 1) : 0.0, mid ? (double)sum_pps / mid : 0.0);
	CHECK(ngot >= 19 && ngot <= 21, "about 20 samples (got %d)", ngot);
	CHECK(ngot > 1 && span / (ngot - 1) > 9990000 && span / (ngot - 1) < 10010000, "no drift");
	CHECK(mid && sum_pps / mid > 19000 && sum_pps / mid < 21000, "rate ~20k pps");
	/* Overflow: stop consuming for 1 s: 4096 bytes hold 73 records of 56 bytes (minus the page tail). */
	ngot = 0;
	bpf_map_lookup_elem(sfd, &zero, &st);
	uint64_t dropped0 = st.dropped, written0 = st.written;
	usleep(1000000);
	bpf_map_lookup_elem(sfd, &zero, &st);
	ring_buffer__consume(rb);
	printf("  1 s without consuming: written +%llu, dropped +%llu, consumed %d, skipped ticks %llu\n",
	       (unsigned long long)(st.written - written0), (unsigned long long)(st.dropped - dropped0), ngot,
	       (unsigned long long)st.skipped);
	CHECK(st.dropped > dropped0 && ngot == (int)(st.written - written0), "overflow counted");
	CHECK(st.last.seq == st.seq - 1 && st.last.packets == 4000, "latest sample kept in the map");
	int c = syscall_run(stop, NULL, 0);
	CHECK(c == 1, "stop cancels a pending sample (got %d)", c);
	c = syscall_run(stop, NULL, 0);
	printf("  sampler_stop: 1, then %d\n", c);
	CHECK(c == 0, "second stop returns 0");
	ring_buffer__free(rb);
	bpf_object__close(obj);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	if (!strcmp(what, "conntrack") || !strcmp(what, "all"))
		check_conntrack();
	if (!strcmp(what, "healthcheck") || !strcmp(what, "all"))
		check_healthcheck();
	if (!strcmp(what, "sampler") || !strcmp(what, "all"))
		check_sampler();
	printf(failures ? "%d check(s) failed\n" : "all checks passed\n", failures);
	return failures ? 1 : 0;
}

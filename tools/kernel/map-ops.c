/*
 * map-ops: create maps in the running kernel and apply a list of user-space map operations,
 * printing each result. The kernel side of tsbpf's map differential tests (src/maps/*.test.ts).
 * Raw bpf(2) syscalls, no libbpf:  cc -O2 -o map-ops map-ops.c
 *
 * INPUT (stdin), one item per line; '#' lines and blank lines ignored. HEX is a byte string, "-" =
 * NULL pointer (no key / no in_batch). Numbers are decimal or 0x-hex.
 *     map TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES FLAGS [INNER] [extra=N]   INNER: index of an earlier
 *                                                 map used as inner_map_fd (map-in-map templates);
 *                                                 N: map_extra (bloom filters)
 *     update M KEY VALUE FLAGS          BPF_MAP_UPDATE_ELEM
 *     update_fd M KEY INNER FLAGS       BPF_MAP_UPDATE_ELEM with the fd of map INNER as the value
 *     lookup M KEY FLAGS                BPF_MAP_LOOKUP_ELEM
 *     lookup_and_delete M KEY FLAGS     BPF_MAP_LOOKUP_AND_DELETE_ELEM
 *     delete M KEY                      BPF_MAP_DELETE_ELEM
 *     next M KEY                        BPF_MAP_GET_NEXT_KEY
 *     freeze M                          BPF_MAP_FREEZE
 *     lookup_batch M IN COUNT ELEM_FLAGS FLAGS TOKEN_SIZE   (also lookup_and_delete_batch)
 *     update_batch M KEYS VALUES COUNT ELEM_FLAGS
 *     update_batch_fd M KEYS INNERS COUNT ELEM_FLAGS   values are the fds of maps INNERS (comma-
 *                                                 separated map indices; "x" = an fd that is not a map)
 *     delete_batch M KEYS COUNT ELEM_FLAGS
 * Per-CPU maps take and return round_up(value_size, 8) bytes per possible CPU.
 *
 * OUTPUT: one JSON line:
 *   {"cpus": N, "maps": [errno0, ...], "ids": [id0, ...], "ops": [{"err": E[, "value": H][, "key": H][, "count": C,
 *    "keys": H, "values": H, "out": H]}, ...]}
 * errno 0 = created; ids are the kernel's map ids (0 when not created; map-in-map lookups return
 * them); E is 0 or a positive errno. An op on a map that failed to be created gets
 * err -1. Batch lookups print keys, values and out only for err 0, ENOENT or ENOSPC. "out" is the out_batch token (TOKEN_SIZE bytes; 0xff bytes where the kernel left it).
 * Exit status 2 for a malformed spec ({"error": "..."}), else 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_MAPS 64

struct m {
	uint32_t type, key_size, value_size, max_entries, flags, id;
	int fd, err;
};
static struct m maps[MAX_MAPS];
static int n_maps, cpus, first_op = 1;

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

static void die(const char *msg, int line)
{
	printf("{\"error\": \"line %d: %s\"}\n", line, msg);
	exit(2);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Returns a malloc'ed buffer (NULL for "-"), its length in *n. */
static uint8_t *hex(const char *t, size_t *n, int line)
{
	if (!t)
		die("missing hex", line);
	*n = 0;
	if (strcmp(t, "-") == 0)
		return NULL;
	size_t l = strlen(t);
	if (l % 2)
		die("odd hex", line);
	uint8_t *p = calloc(l / 2 + 8, 1);
	for (size_t i = 0; i < l / 2; i++) {
		int hi = hexval(t[2 * i]), lo = hexval(t[2 * i + 1]);
		if (hi < 0 || lo < 0)
			die("bad hex", line);
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = l / 2;
	return p;
}

static uint32_t num(const char *t, int line)
{
	char *end;
	if (!t)
		die("missing number", line);
	unsigned long long v = strtoull(t, &end, 0);
	if (*end || end == t)
		die("bad number", line);
	return (uint32_t)v;
}

static void put_hex(const char *name, const uint8_t *p, size_t n)
{
	printf(", \"%s\": \"", name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('"');
}

static int possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	int lo = 0, hi = -1;
	if (!f)
		return (int)sysconf(_SC_NPROCESSORS_CONF);
	if (fscanf(f, "%d-%d", &lo, &hi) < 2)
		hi = lo;
	fclose(f);
	return hi - lo + 1;
}

static void print_header(void)
{
	printf("{\"cpus\": %d, \"maps\": [", cpus);
	for (int i = 0; i < n_maps; i++)
		printf("%s%d", i ? ", " : "", maps[i].err);
	printf("], \"ids\": [");
	for (int i = 0; i < n_maps; i++)
		printf("%s%u", i ? ", " : "", maps[i].id);
	printf("], \"ops\": [");
}

static uint32_t map_id(int fd)
{
	struct bpf_map_info info;
	union bpf_attr a;
	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0 ? 0 : info.id;
}

/* The fds of the maps named by a comma-separated list of indices ("x": -1, not a map). */
static uint32_t *inner_fds(char *list, size_t *n, int line)
{
	size_t cap = 1;
	uint32_t *fds;
	if (!list)
		die("missing inner map list", line);
	for (char *c = list; *c; c++)
		cap += *c == ',';
	fds = calloc(cap + 1, sizeof(*fds));
	*n = 0;
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "x") == 0) {
			fds[(*n)++] = (uint32_t)-1;
		} else {
			uint32_t i = num(t, line);
			if (i >= (uint32_t)n_maps)
				die("no such inner map", line);
			fds[(*n)++] = (uint32_t)maps[i].fd;
		}
	}
	return fds;
}

static int percpu(uint32_t t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static size_t vbytes(struct m *m)
{
	return percpu(m->type) ? ((m->value_size + 7) & ~7u) * (size_t)cpus : m->value_size;
}

static void begin(int err)
{
	printf("%s{\"err\": %d", first_op ? "" : ", ", err);
	first_op = 0;
}

static struct m *op_map(const char *t, int line)
{
	uint32_t i = num(t, line);
	if (i >= (uint32_t)n_maps)
		die("no such map", line);
	return &maps[i];
}

static void batch(int cmd, struct m *m, char **ts, int line)
{
	size_t inlen;
	uint8_t *in = hex(strtok_r(NULL, " ", ts), &inlen, line);
	uint32_t count = num(strtok_r(NULL, " ", ts), line);
	uint32_t elem_flags = num(strtok_r(NULL, " ", ts), line);
	uint32_t flags = num(strtok_r(NULL, " ", ts), line);
	uint32_t token = num(strtok_r(NULL, " ", ts), line);
	size_t vb = vbytes(m);
	uint8_t *keys = calloc((size_t)count * m->key_size + 8, 1), *vals = calloc((size_t)count * vb + 8, 1);
	uint8_t out[64];
	union bpf_attr a;
	memset(out, 0xff, sizeof(out));
	memset(&a, 0, sizeof(a));
	a.batch.map_fd = (uint32_t)m->fd;
	a.batch.in_batch = (uintptr_t)in;
	a.batch.out_batch = (uintptr_t)out;
	a.batch.keys = (uintptr_t)keys;
	a.batch.values = (uintptr_t)vals;
	a.batch.count = count;
	a.batch.elem_flags = elem_flags;
	a.batch.flags = flags;
	int err = sys_bpf(cmd, &a) < 0 ? errno : 0;
	begin(err);
	printf(", \"count\": %u", a.batch.count);
	/* Data and token only mean something when the kernel got as far as copying. */
	if (err == 0 || err == ENOENT || err == ENOSPC) {
		put_hex("keys", keys, (size_t)a.batch.count * m->key_size);
		put_hex("values", vals, (size_t)a.batch.count * vb);
		put_hex("out", out, token < sizeof(out) ? token : sizeof(out));
	}
	putchar('}');
	free(in);
	free(keys);
	free(vals);
}

int main(void)
{
	static char text[1 << 22];
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };
	size_t len = fread(text, 1, sizeof(text) - 1, stdin);
	int line = 0, in_ops = 0;
	setrlimit(RLIMIT_MEMLOCK, &r);
	cpus = possible_cpus();
	text[len] = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *ts = NULL, *kw = strtok_r(l, " ", &ts);
		union bpf_attr a;
		line++;
		if (!kw || kw[0] == '#')
			continue;
		memset(&a, 0, sizeof(a));
		if (strcmp(kw, "map") == 0) {
			struct m *m;
			char *inner;
			if (in_ops || n_maps == MAX_MAPS)
				die("map after ops or too many maps", line);
			m = &maps[n_maps++];
			m->type = num(strtok_r(NULL, " ", &ts), line);
			m->key_size = num(strtok_r(NULL, " ", &ts), line);
			m->value_size = num(strtok_r(NULL, " ", &ts), line);
			m->max_entries = num(strtok_r(NULL, " ", &ts), line);
			m->flags = num(strtok_r(NULL, " ", &ts), line);
			a.map_type = m->type;
			a.key_size = m->key_size;
			a.value_size = m->value_size;
			a.max_entries = m->max_entries;
			a.map_flags = m->flags;
			while ((inner = strtok_r(NULL, " ", &ts))) {
				uint32_t i;
				if (strncmp(inner, "extra=", 6) == 0) {
					a.map_extra = strtoull(inner + 6, NULL, 0);
					continue;
				}
				i = num(inner, line);
				if (i >= (uint32_t)n_maps - 1)
					die("bad inner map", line);
				a.inner_map_fd = (uint32_t)maps[i].fd;
			}
			long fd = sys_bpf(BPF_MAP_CREATE, &a);
			m->fd = (int)fd;
			m->err = fd < 0 ? errno : 0;
			m->id = fd < 0 ? 0 : map_id(m->fd);
			continue;
		}
		if (!in_ops) {
			in_ops = 1;
			print_header();
		}
		struct m *m = op_map(strtok_r(NULL, " ", &ts), line);
		if (m->fd < 0) {
			begin(-1);
			putchar('}');
			continue;
		}
		a.map_fd = (uint32_t)m->fd;
		size_t kl, vl;
		uint8_t *key = NULL, *val = NULL, *out = calloc(vbytes(m) + m->key_size + 8, 1);
		int err;
		if (strcmp(kw, "update") == 0 || strcmp(kw, "update_fd") == 0) {
			uint32_t fdv;
			key = hex(strtok_r(NULL, " ", &ts), &kl, line);
			if (kw[6] == '_') {
				fdv = (uint32_t)maps[num(strtok_r(NULL, " ", &ts), line) % MAX_MAPS].fd;
				a.value = (uintptr_t)&fdv;
			} else {
				val = hex(strtok_r(NULL, " ", &ts), &vl, line);
				if (vl != vbytes(m))
					die("value size", line);
				a.value = (uintptr_t)val;
			}
			a.key = (uintptr_t)key;
			a.flags = num(strtok_r(NULL, " ", &ts), line);
			begin(sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0 ? errno : 0);
		} else if (strcmp(kw, "lookup") == 0 || strcmp(kw, "lookup_and_delete") == 0) {
			key = hex(strtok_r(NULL, " ", &ts), &kl, line);
			a.key = (uintptr_t)key;
			a.value = (uintptr_t)out;
			a.flags = num(strtok_r(NULL, " ", &ts), line);
			err = sys_bpf(kw[6] ? BPF_MAP_LOOKUP_AND_DELETE_ELEM : BPF_MAP_LOOKUP_ELEM, &a) < 0 ? errno : 0;
			begin(err);
			if (!err)
				put_hex("value", out, vbytes(m));
		} else if (strcmp(kw, "delete") == 0) {
			key = hex(strtok_r(NULL, " ", &ts), &kl, line);
			a.key = (uintptr_t)key;
			begin(sys_bpf(BPF_MAP_DELETE_ELEM, &a) < 0 ? errno : 0);
		} else if (strcmp(kw, "next") == 0) {
			key = hex(strtok_r(NULL, " ", &ts), &kl, line);
			a.key = (uintptr_t)key;
			a.next_key = (uintptr_t)out;
			err = sys_bpf(BPF_MAP_GET_NEXT_KEY, &a) < 0 ? errno : 0;
			begin(err);
			if (!err)
				put_hex("key", out, m->key_size);
		} else if (strcmp(kw, "freeze") == 0) {
			begin(sys_bpf(BPF_MAP_FREEZE, &a) < 0 ? errno : 0);
		} else if (strcmp(kw, "lookup_batch") == 0) {
			batch(BPF_MAP_LOOKUP_BATCH, m, &ts, line);
			goto next;
		} else if (strcmp(kw, "lookup_and_delete_batch") == 0) {
			batch(BPF_MAP_LOOKUP_AND_DELETE_BATCH, m, &ts, line);
			goto next;
		} else if (strcmp(kw, "update_batch_fd") == 0) {
			size_t nfds;
			uint32_t *fds;
			key = hex(strtok_r(NULL, " ", &ts), &kl, line);
			fds = inner_fds(strtok_r(NULL, " ", &ts), &nfds, line);
			a.batch.map_fd = (uint32_t)m->fd;
			a.batch.keys = (uintptr_t)key;
			a.batch.values = (uintptr_t)fds;
			a.batch.count = num(strtok_r(NULL, " ", &ts), line);
			a.batch.elem_flags = num(strtok_r(NULL, " ", &ts), line);
			err = sys_bpf(BPF_MAP_UPDATE_BATCH, &a) < 0 ? errno : 0;
			begin(err);
			printf(", \"count\": %u", a.batch.count);
			free(fds);
		} else if (strcmp(kw, "update_batch") == 0 || strcmp(kw, "delete_batch") == 0) {
			int upd = kw[0] == 'u';
			key = hex(strtok_r(NULL, " ", &ts), &kl, line);
			if (upd)
				val = hex(strtok_r(NULL, " ", &ts), &vl, line);
			a.batch.map_fd = (uint32_t)m->fd;
			a.batch.keys = (uintptr_t)key;
			a.batch.values = (uintptr_t)val;
			a.batch.count = num(strtok_r(NULL, " ", &ts), line);
			a.batch.elem_flags = num(strtok_r(NULL, " ", &ts), line);
			err = sys_bpf(upd ? BPF_MAP_UPDATE_BATCH : BPF_MAP_DELETE_BATCH, &a) < 0 ? errno : 0;
			begin(err);
			printf(", \"count\": %u", a.batch.count);
		} else {
			die("unknown op", line);
		}
		putchar('}');
next:
		free(key);
		free(val);
		free(out);
	}
	if (!in_ops)
		print_header();
	printf("]}\n");
	return 0;
}

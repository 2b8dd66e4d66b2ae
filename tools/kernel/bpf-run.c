/*
 * bpf-run: load a raw BPF program into the running kernel, test-run it, print one JSON line.
 *
 * tsbpf's differential tests and benchmarks run the same program on tsbpf and on the kernel;
 * this is the kernel side for raw instruction programs. It uses the bpf(2) syscall directly
 * (no libbpf), so it builds on any machine with a C compiler and the kernel uapi headers:
 *     cc -O2 -o bpf-run bpf-run.c
 *
 * INPUT: a line-based spec on stdin. Blank lines and lines starting with '#' are ignored.
 * Numbers are decimal or 0x-hex; HEX is a byte string in hex ("-" for the empty string).
 *     prog TYPE [EXPECTED_ATTACH_TYPE [PROG_FLAGS]]   program type (required)
 *     insns HEX                       raw little-endian instructions, 8 bytes each (required)
 *     map TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES [MAP_FLAGS]   create a map; maps are numbered 0, 1, ...
 *     elem MAP KEY_HEX VALUE_HEX [FLAGS]   BPF_MAP_UPDATE_ELEM before the run (KEY "-" when key_size is 0;
 *                                     per-CPU maps take round_up(value_size, 8) bytes per possible CPU)
 *     data HEX                        data_in of BPF_PROG_TEST_RUN
 *     ctx HEX                         ctx_in of BPF_PROG_TEST_RUN
 *     repeat N                        repeat (omit it to leave the field 0; the kernel runs once)
 *     flags N                         test-run flags (BPF_F_TEST_RUN_ON_CPU, ...)
 *     cpu N                           test-run cpu
 *     data_out_size N                 size of the data_out buffer (default: data size + 65536)
 *     ctx_out_size N                  size of the ctx_out buffer (default: ctx size)
 *     log_level N                     verifier log level of the first load; the log is then printed
 *                                     on success too (default 0: the log is fetched only on failure)
 *     dump                            print every map's contents after the run
 *     no_run                          stop after the load (for verifier-only comparisons)
 *     btf HEX                         raw BTF (BPF_BTF_LOAD before the maps): for map values and the program
 *     map_btf KEY_TYPE VALUE_TYPE     the previous map's key and value types in that BTF (btf_key/value_type_id)
 *     map_name NAME                   the previous map's name (map_name; verifier logs print it)
 *     map_inner MAP                   the previous map's inner map template (inner_map_fd of map MAP)
 *     func_info HEX                   struct bpf_func_info records (8 bytes each) of the program, against that BTF
 *     line_info HEX                   struct bpf_line_info records (16 bytes each)
 *     license NAME                    the program's license (default "GPL")
 * An ld_imm64 with src_reg BPF_PSEUDO_MAP_FD (1) or BPF_PSEUDO_MAP_VALUE (2) and imm N refers
 * to map N of the spec; its imm is replaced with that map's fd before the load.
 *
 * OUTPUT: one JSON line on stdout.
 *     {"retval": R, "duration_ns": D, "data_out": "hex", "ctx_out": "hex"[, "log": "..."][, "maps": [...]]}
 *   R is the kernel's u32 test.retval. "maps" is, per map, [[key_hex, value_hex], ...] in the
 *   kernel's iteration order (maps with key_size 0, queues and stacks, are popped until empty).
 *   For BPF_PROG_TYPE_SYSCALL the kernel writes the context back into ctx_in; ctx_out is that.
 * On failure:
 *     {"stage": "spec"|"btf_load"|"map_create"|"map_update"|"load"|"test_run"|"map_dump", "errno": E,
 *      "log": "...", "map": N, "message": "..."}   (log only for btf_load and load, map only for map stages)
 * Exit status: 0 on success, 1 when a bpf() call failed, 2 for a malformed spec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Newer than some distributions' uapi headers (Debian 12 ships 6.1's); values from 6.18's bpf.h. */
#define RUN_PROG_TYPE_SYSCALL 31
#define RUN_PSEUDO_MAP_FD 1
#define RUN_PSEUDO_MAP_VALUE 2
#define RUN_LD_IMM64 (BPF_LD | BPF_DW | BPF_IMM)
#define MAX_MAPS 64
#define LOG_SIZE (16u << 20)

struct map_spec {
	uint32_t type, key_size, value_size, max_entries, flags;
	uint32_t btf_key_type_id, btf_value_type_id;
	int has_btf, inner;
	char name[16];
	int fd;
};

struct buf {
	uint8_t *p;
	size_t len;
	int set;
};

static struct map_spec maps[MAX_MAPS];
static int n_maps;
static uint32_t prog_type, attach_type, prog_flags, test_flags, test_cpu, repeat, log_level;
static int have_prog, have_repeat, dump, no_run;
static long data_out_size = -1, ctx_out_size = -1;
static struct buf insns, data, ctx, btf, func_info, line_info;
static char license[128] = "GPL";
static int btf_fd = -1;
static char *log_buf;
/* The success line is built in memory so a failure halfway through a dump still prints one valid line. */
static FILE *out;

static void emit(int c)
{
	fputc(c, out);
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void put_json_string(const char *s, size_t n)
{
	emit('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c >= 0x7f)
			/* Non-ASCII bytes are escaped one by one so the output is valid JSON whatever the log holds. */
			fprintf(out, "\\u%04x", c);
		else
			emit(c);
	}
	emit('"');
}

static void put_hex(const uint8_t *p, size_t n)
{
	emit('"');
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x", p[i]);
	emit('"');
}

/* Prints the failure line and exits. map < 0 omits "map"; a NULL log omits "log". */
static void fail(const char *stage, int err, int map, const char *log, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (out != stdout) {
		fclose(out);
		out = stdout;
	}
	fprintf(out, "{\"stage\": \"%s\", \"errno\": %d", stage, err);
	if (map >= 0)
		fprintf(out, ", \"map\": %d", map);
	if (log) {
		fputs(", \"log\": ", out);
		put_json_string(log, strlen(log));
	}
	fputs(", \"message\": ", out);
	put_json_string(msg, strlen(msg));
	fputs("}\n", out);
	fflush(out);
	exit(strcmp(stage, "spec") == 0 ? 2 : 1);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static struct buf parse_hex(const char *tok, int line)
{
	struct buf b = { NULL, 0, 1 };
	if (!tok)
		fail("spec", EINVAL, -1, NULL, "line %d: missing hex argument", line);
	if (strcmp(tok, "-") == 0)
		return b;
	size_t n = strlen(tok);
	if (n % 2)
		fail("spec", EINVAL, -1, NULL, "line %d: odd number of hex digits", line);
	b.len = n / 2;
	b.p = malloc(b.len ? b.len : 1);
	if (!b.p)
		fail("spec", ENOMEM, -1, NULL, "out of memory");
	for (size_t i = 0; i < b.len; i++) {
		int hi = hexval(tok[2 * i]), lo = hexval(tok[2 * i + 1]);
		if (hi < 0 || lo < 0)
			fail("spec", EINVAL, -1, NULL, "line %d: bad hex digit", line);
		b.p[i] = (uint8_t)(hi << 4 | lo);
	}
	return b;
}

static uint32_t parse_u32(const char *tok, int line, const char *what)
{
	char *end;
	if (!tok)
		fail("spec", EINVAL, -1, NULL, "line %d: missing %s", line, what);
	errno = 0;
	unsigned long long v = strtoull(tok, &end, 0);
	if (errno || *end || end == tok || v > UINT32_MAX || tok[0] == '-')
		fail("spec", EINVAL, -1, NULL, "line %d: bad %s '%s'", line, what, tok);
	return (uint32_t)v;
}

static char *read_stdin(void)
{
	size_t cap = 1 << 16, len = 0;
	char *s = malloc(cap);
	size_t got;
	if (!s)
		fail("spec", ENOMEM, -1, NULL, "out of memory");
	while ((got = fread(s + len, 1, cap - len - 1, stdin)) > 0) {
		len += got;
		if (cap - len < 2) {
			cap *= 2;
			s = realloc(s, cap);
			if (!s)
				fail("spec", ENOMEM, -1, NULL, "out of memory");
		}
	}
	s[len] = 0;
	return s;
}

struct elem {
	int map, line;
	struct buf key, value;
	uint32_t flags;
};
static struct elem *elems;
static int n_elems;

static void parse_spec(char *text)
{
	int line = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *ts = NULL, *kw = strtok_r(l, " \t\r", &ts);
		line++;
		if (!kw || kw[0] == '#')
			continue;
#define ARG() strtok_r(NULL, " \t\r", &ts)
		if (strcmp(kw, "prog") == 0) {
			char *a;
			prog_type = parse_u32(ARG(), line, "program type");
			have_prog = 1;
			if ((a = ARG()))
				attach_type = parse_u32(a, line, "attach type");
			if ((a = ARG()))
				prog_flags = parse_u32(a, line, "program flags");
		} else if (strcmp(kw, "insns") == 0) {
			insns = parse_hex(ARG(), line);
			if (insns.len % 8 || insns.len == 0)
				fail("spec", EINVAL, -1, NULL, "line %d: insns must be a non-empty multiple of 8 bytes", line);
		} else if (strcmp(kw, "map") == 0) {
			struct map_spec *m;
			char *a;
			if (n_maps == MAX_MAPS)
				fail("spec", E2BIG, -1, NULL, "line %d: at most %d maps", line, MAX_MAPS);
			m = &maps[n_maps++];
			m->type = parse_u32(ARG(), line, "map type");
			m->key_size = parse_u32(ARG(), line, "key size");
			m->value_size = parse_u32(ARG(), line, "value size");
			m->max_entries = parse_u32(ARG(), line, "max entries");
			m->flags = (a = ARG()) ? parse_u32(a, line, "map flags") : 0;
			m->inner = -1;
			m->fd = -1;
		} else if (strcmp(kw, "map_btf") == 0 || strcmp(kw, "map_name") == 0 || strcmp(kw, "map_inner") == 0) {
			struct map_spec *m;
			if (n_maps == 0)
				fail("spec", EINVAL, -1, NULL, "line %d: '%s' before any 'map'", line, kw);
			m = &maps[n_maps - 1];
			if (kw[4] == 'b') {
				m->btf_key_type_id = parse_u32(ARG(), line, "key type id");
				m->btf_value_type_id = parse_u32(ARG(), line, "value type id");
				m->has_btf = 1;
			} else if (kw[4] == 'n') {
				char *a = ARG();
				if (!a || strlen(a) >= sizeof(m->name))
					fail("spec", EINVAL, -1, NULL, "line %d: map name missing or longer than 15 bytes", line);
				strcpy(m->name, a);
			} else {
				uint32_t inner = parse_u32(ARG(), line, "inner map index");
				if (inner >= (uint32_t)(n_maps - 1))
					fail("spec", EINVAL, -1, NULL, "line %d: the inner map must be an earlier map", line);
				m->inner = (int)inner;
			}
		} else if (strcmp(kw, "btf") == 0) {
			btf = parse_hex(ARG(), line);
		} else if (strcmp(kw, "func_info") == 0) {
			func_info = parse_hex(ARG(), line);
		} else if (strcmp(kw, "line_info") == 0) {
			line_info = parse_hex(ARG(), line);
		} else if (strcmp(kw, "license") == 0) {
			char *a = ARG();
			if (!a || strlen(a) >= sizeof(license))
				fail("spec", EINVAL, -1, NULL, "line %d: license missing or too long", line);
			strcpy(license, a);
		} else if (strcmp(kw, "elem") == 0) {
			struct elem e;
			char *a;
			e.line = line;
			e.map = (int)parse_u32(ARG(), line, "map index");
			e.key = parse_hex(ARG(), line);
			e.value = parse_hex(ARG(), line);
			e.flags = (a = ARG()) ? parse_u32(a, line, "update flags") : 0;
			elems = realloc(elems, sizeof(*elems) * (size_t)(n_elems + 1));
			if (!elems)
				fail("spec", ENOMEM, -1, NULL, "out of memory");
			elems[n_elems++] = e;
		} else if (strcmp(kw, "data") == 0) {
			data = parse_hex(ARG(), line);
		} else if (strcmp(kw, "ctx") == 0) {
			ctx = parse_hex(ARG(), line);
		} else if (strcmp(kw, "repeat") == 0) {
			repeat = parse_u32(ARG(), line, "repeat");
			have_repeat = 1;
		} else if (strcmp(kw, "flags") == 0) {
			test_flags = parse_u32(ARG(), line, "test-run flags");
		} else if (strcmp(kw, "cpu") == 0) {
			test_cpu = parse_u32(ARG(), line, "cpu");
		} else if (strcmp(kw, "data_out_size") == 0) {
			data_out_size = parse_u32(ARG(), line, "data_out_size");
		} else if (strcmp(kw, "ctx_out_size") == 0) {
			ctx_out_size = parse_u32(ARG(), line, "ctx_out_size");
		} else if (strcmp(kw, "log_level") == 0) {
			log_level = parse_u32(ARG(), line, "log level");
		} else if (strcmp(kw, "dump") == 0) {
			dump = 1;
		} else if (strcmp(kw, "no_run") == 0) {
			no_run = 1;
		} else {
			fail("spec", EINVAL, -1, NULL, "line %d: unknown keyword '%s'", line, kw);
		}
#undef ARG
	}
	if (!have_prog || !insns.set)
		fail("spec", EINVAL, -1, NULL, "the spec needs a 'prog' line and an 'insns' line");
}

/* Number of possible CPUs, which sizes per-CPU map values as the kernel sees them from userspace. */
static int possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	int n = 0, lo, hi;
	char sep;
	if (!f)
		return (int)sysconf(_SC_NPROCESSORS_CONF);
	while (fscanf(f, "%d", &lo) == 1) {
		hi = lo;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
			if (fscanf(f, "%d", &hi) != 1)
				break;
			if (fscanf(f, "%c", &sep) != 1)
				sep = 0;
		}
		n += hi - lo + 1;
		if (sep != ',')
			break;
	}
	fclose(f);
	return n > 0 ? n : 1;
}

static int is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* Bytes of one value as userspace reads and writes it: per-CPU maps carry every possible CPU's copy. */
static size_t map_value_bytes(const struct map_spec *m)
{
	return is_percpu(m->type) ? ((m->value_size + 7) & ~7u) * (size_t)possible_cpus() : m->value_size;
}

/* Loads the spec's BTF, if any; its fd serves the maps' and the program's type ids. */
static void load_btf(void)
{
	union bpf_attr a;
	if (!btf.set)
		return;
	memset(&a, 0, sizeof(a));
	log_buf[0] = 0;
	a.btf = (uintptr_t)btf.p;
	a.btf_size = (uint32_t)btf.len;
	a.btf_log_buf = (uintptr_t)log_buf;
	a.btf_log_size = LOG_SIZE;
	a.btf_log_level = 1;
	long fd = sys_bpf(BPF_BTF_LOAD, &a);
	if (fd < 0)
		fail("btf_load", errno, -1, log_buf, "BPF_BTF_LOAD failed: %s", strerror(errno));
	btf_fd = (int)fd;
}

static void create_maps(void)
{
	for (int i = 0; i < n_maps; i++) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.map_type = maps[i].type;
		a.key_size = maps[i].key_size;
		a.value_size = maps[i].value_size;
		a.max_entries = maps[i].max_entries;
		a.map_flags = maps[i].flags;
		memcpy(a.map_name, maps[i].name, sizeof(maps[i].name));
		if (maps[i].has_btf) {
			if (btf_fd < 0)
				fail("spec", EINVAL, -1, NULL, "map %d has 'map_btf' but the spec has no 'btf'", i);
			a.btf_fd = (uint32_t)btf_fd;
			a.btf_key_type_id = maps[i].btf_key_type_id;
			a.btf_value_type_id = maps[i].btf_value_type_id;
		}
		if (maps[i].inner >= 0)
			a.inner_map_fd = (uint32_t)maps[maps[i].inner].fd;
		long fd = sys_bpf(BPF_MAP_CREATE, &a);
		if (fd < 0)
			fail("map_create", errno, i, NULL, "BPF_MAP_CREATE of map %d failed: %s", i, strerror(errno));
		maps[i].fd = (int)fd;
	}
	for (int i = 0; i < n_elems; i++) {
		struct elem *e = &elems[i];
		union bpf_attr a;
		if (e->map >= n_maps)
			fail("spec", EINVAL, -1, NULL, "line %d: no map %d", e->line, e->map);
		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)maps[e->map].fd;
		a.key = (uintptr_t)e->key.p;
		a.value = (uintptr_t)e->value.p;
		a.flags = e->flags;
		/* The kernel copies key_size / value_size bytes (times the possible CPUs for per-CPU maps); short buffers would be read past their end. */
		if (e->key.len != maps[e->map].key_size)
			fail("spec", EINVAL, -1, NULL, "line %d: key is %zu bytes, map %d has key_size %u", e->line,
			     e->key.len, e->map, maps[e->map].key_size);
		if (e->value.len != map_value_bytes(&maps[e->map]))
			fail("spec", EINVAL, -1, NULL, "line %d: value is %zu bytes, map %d takes %zu (value_size %u%s)",
			     e->line, e->value.len, e->map, map_value_bytes(&maps[e->map]), maps[e->map].value_size,
			     is_percpu(maps[e->map].type) ? ", rounded up to 8, times the possible CPUs" : "");
		if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0)
			fail("map_update", errno, e->map, NULL, "spec line %d: BPF_MAP_UPDATE_ELEM failed: %s", e->line,
			     strerror(errno));
	}
}

/* Rewrites map references in ld_imm64 from spec indices to fds, as libbpf does from relocations. */
static void patch_map_refs(void)
{
	struct bpf_insn *in = (struct bpf_insn *)insns.p;
	size_t n = insns.len / 8;
	for (size_t i = 0; i < n; i++) {
		if (in[i].code != RUN_LD_IMM64)
			continue;
		if (in[i].src_reg == RUN_PSEUDO_MAP_FD || in[i].src_reg == RUN_PSEUDO_MAP_VALUE) {
			if (in[i].imm < 0 || in[i].imm >= n_maps)
				fail("spec", EINVAL, -1, NULL, "insn %zu: ld_imm64 refers to map %d but the spec has %d maps",
				     i, in[i].imm, n_maps);
			in[i].imm = maps[in[i].imm].fd;
		}
		i++; /* the second half of ld_imm64 is not an instruction */
	}
}

static int load_prog(uint32_t level, int *err)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = prog_type;
	a.expected_attach_type = attach_type;
	a.prog_flags = prog_flags;
	a.insns = (uintptr_t)insns.p;
	a.insn_cnt = (uint32_t)(insns.len / 8);
	a.license = (uintptr_t)license;
	if ((func_info.set || line_info.set) && btf_fd < 0)
		fail("spec", EINVAL, -1, NULL, "'func_info' and 'line_info' need a 'btf'");
	if (func_info.set || line_info.set)
		a.prog_btf_fd = (uint32_t)btf_fd;
	if (func_info.set) {
		a.func_info = (uintptr_t)func_info.p;
		a.func_info_rec_size = 8;
		a.func_info_cnt = (uint32_t)(func_info.len / 8);
	}
	if (line_info.set) {
		a.line_info = (uintptr_t)line_info.p;
		a.line_info_rec_size = 16;
		a.line_info_cnt = (uint32_t)(line_info.len / 16);
	}
	strncpy(a.prog_name, "bpf_run", sizeof(a.prog_name) - 1);
	if (level) {
		log_buf[0] = 0;
		a.log_level = level;
		a.log_buf = (uintptr_t)log_buf;
		a.log_size = LOG_SIZE;
	}
	long fd = sys_bpf(BPF_PROG_LOAD, &a);
	*err = fd < 0 ? errno : 0;
	return (int)fd;
}

static void dump_map(int i)
{
	struct map_spec *m = &maps[i];
	size_t vsize = map_value_bytes(m);
	uint8_t *key = malloc(m->key_size + 1), *next = malloc(m->key_size + 1), *val = malloc(vsize + 1);
	union bpf_attr a;
	int first = 1;
	if (!key || !next || !val)
		fail("map_dump", ENOMEM, i, NULL, "out of memory");
	emit('[');
	if (m->key_size == 0) {
		/* Queues and stacks have no keys: pop until empty, which the kernel reports with ENOENT. */
		for (;;) {
			memset(&a, 0, sizeof(a));
			a.map_fd = (uint32_t)m->fd;
			a.value = (uintptr_t)val;
			if (sys_bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM, &a) < 0) {
				if (errno == ENOENT)
					break;
				fail("map_dump", errno, i, NULL, "pop from map %d failed: %s", i, strerror(errno));
			}
			fprintf(out, "%s[\"\", ", first ? "" : ", ");
			put_hex(val, vsize);
			emit(']');
			first = 0;
		}
	} else {
		for (int have_key = 0;; have_key = 1) {
			memset(&a, 0, sizeof(a));
			a.map_fd = (uint32_t)m->fd;
			a.key = have_key ? (uintptr_t)key : 0;
			a.next_key = (uintptr_t)next;
			if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a) < 0) {
				if (errno == ENOENT)
					break;
				fail("map_dump", errno, i, NULL, "BPF_MAP_GET_NEXT_KEY on map %d failed: %s", i, strerror(errno));
			}
			memcpy(key, next, m->key_size);
			memset(&a, 0, sizeof(a));
			a.map_fd = (uint32_t)m->fd;
			a.key = (uintptr_t)key;
			a.value = (uintptr_t)val;
			if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0) {
				if (errno == ENOENT)
					continue; /* deleted between the two calls; nothing runs concurrently here, but stay correct */
				fail("map_dump", errno, i, NULL, "BPF_MAP_LOOKUP_ELEM on map %d failed: %s", i, strerror(errno));
			}
			fprintf(out, "%s[", first ? "" : ", ");
			put_hex(key, m->key_size);
			fputs(", ", out);
			put_hex(val, vsize);
			emit(']');
			first = 0;
		}
	}
	emit(']');
	free(key);
	free(next);
	free(val);
}

/* Closes the in-memory success line and writes it out in one piece. */
static int finish(char **line)
{
	fclose(out); /* sets *line */
	out = stdout;
	fputs(*line, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	union bpf_attr a;
	int err, prog_fd, is_syscall;
	uint8_t *data_out = NULL, *ctx_out = NULL;
	char *line = NULL;
	size_t line_len = 0;

	out = stdout;
	/* Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; newer ones ignore it. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	parse_spec(read_stdin());
	log_buf = malloc(LOG_SIZE);
	if (!log_buf)
		fail("spec", ENOMEM, -1, NULL, "out of memory");
	load_btf();
	create_maps();
	patch_map_refs();

	prog_fd = load_prog(log_level, &err);
	if (prog_fd < 0) {
		int first_err = err;
		if (!log_level)
			load_prog(1, &err); /* the same load again, only to get the verifier's reasons */
		fail("load", first_err, -1, log_buf, "BPF_PROG_LOAD failed: %s", strerror(first_err));
	}
	out = open_memstream(&line, &line_len);
	if (!out) {
		out = stdout;
		fail("spec", ENOMEM, -1, NULL, "out of memory");
	}
	if (no_run) {
		fputs("{\"loaded\": true", out);
		if (log_level) {
			fputs(", \"log\": ", out);
			put_json_string(log_buf, strlen(log_buf));
		}
		fputs("}\n", out);
		return finish(&line);
	}

	is_syscall = prog_type == RUN_PROG_TYPE_SYSCALL;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)prog_fd;
	if (data.set && data.len) {
		size_t out = data_out_size >= 0 ? (size_t)data_out_size : data.len + 65536;
		a.test.data_in = (uintptr_t)data.p;
		a.test.data_size_in = (uint32_t)data.len;
		data_out = calloc(out + 1, 1);
		a.test.data_out = (uintptr_t)data_out;
		a.test.data_size_out = (uint32_t)out;
	}
	if (ctx.set && ctx.len) {
		a.test.ctx_in = (uintptr_t)ctx.p;
		a.test.ctx_size_in = (uint32_t)ctx.len;
		/* Syscall programs write the context back into ctx_in and refuse a ctx_out. */
		if (!is_syscall || ctx_out_size >= 0) {
			size_t out = ctx_out_size >= 0 ? (size_t)ctx_out_size : ctx.len;
			ctx_out = calloc(out + 1, 1);
			a.test.ctx_out = (uintptr_t)ctx_out;
			a.test.ctx_size_out = (uint32_t)out;
		}
	}
	if (have_repeat)
		a.test.repeat = repeat;
	a.test.flags = test_flags;
	a.test.cpu = test_cpu;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0)
		fail("test_run", errno, -1, NULL, "BPF_PROG_TEST_RUN failed: %s", strerror(errno));

	fprintf(out, "{\"retval\": %u, \"duration_ns\": %u, \"data_out\": ", a.test.retval, a.test.duration);
	put_hex(data_out, data_out ? a.test.data_size_out : 0);
	fputs(", \"ctx_out\": ", out);
	if (ctx_out)
		put_hex(ctx_out, a.test.ctx_size_out);
	else if (is_syscall && ctx.len)
		put_hex(ctx.p, ctx.len);
	else
		put_hex(NULL, 0);
	if (log_level) {
		fputs(", \"log\": ", out);
		put_json_string(log_buf, strlen(log_buf));
	}
	if (dump) {
		fputs(", \"maps\": [", out);
		for (int i = 0; i < n_maps; i++) {
			if (i)
				fputs(", ", out);
			dump_map(i);
		}
		emit(']');
	}
	fputs("}\n", out);
	return finish(&line);
}

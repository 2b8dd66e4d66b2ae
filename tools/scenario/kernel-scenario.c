// SPDX-License-Identifier: MIT
/*
 * kernel-scenario: runs one scenario file (../shared/spec/scenario.md) on the running Linux kernel
 * through libbpf, and prints the result as one line of JSON on stdout.
 *
 *   kernel-scenario path/to/story.json
 *
 * Exit status: 0 when every step could be carried out (including a failed object load, reported as
 * {"load": {"errno": N}}); 2 for a malformed scenario; 3 when the object cannot be opened.
 * Diagnostics (and libbpf's warnings) go to stderr.
 *
 * `release` drops every user-space reference to a map: libbpf owns the map's only fd, so the fd
 * number is atomically replaced by a duplicate of /dev/null (dup2 closes the map file, the map's
 * user reference count falls to zero, and libbpf's own close at the end closes /dev/null instead).
 * libbpf keeps no other fd of a loaded map (the inner-map template fd is closed after the outer map
 * is created) and this tool pins nothing.
 *
 * Build: cc -O2 -Wall -o kernel-scenario kernel-scenario.c -lbpf -lelf -lz
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---------- a small JSON reader: objects, arrays, strings, integers, true/false/null ---------- */

enum jkind { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jkind kind;
	int neg;            /* J_NUM: a leading minus sign */
	uint64_t num;       /* J_NUM: magnitude */
	int is_int;         /* J_NUM: no fraction or exponent */
	char *str;          /* J_STR */
	int n;              /* J_ARR / J_OBJ: element count */
	char **keys;        /* J_OBJ */
	struct jval **items;
};

static const char *jp;
static const char *jerr;

static void fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("kernel-scenario: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		fail(4, "out of memory");
	return p;
}

static void skip_ws(void)
{
	while (*jp == ' ' || *jp == '\t' || *jp == '\n' || *jp == '\r')
		jp++;
}

static struct jval *parse_value(int depth);

static char *parse_string(void)
{
	size_t cap = 16, len = 0;
	char *s = xcalloc(cap, 1);
	if (*jp != '"') {
		jerr = "expected a string";
		return NULL;
	}
	jp++;
	for (;;) {
		char c = *jp++;
		if (c == '\0' || (unsigned char)c < 0x20) {
			jerr = "unterminated string or control character in string";
			return NULL;
		}
		if (c == '"')
			break;
		if (c == '\\') {
			char e = *jp++;
			switch (e) {
			case '"': case '\\': case '/': c = e; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned v = 0;
				for (int i = 0; i < 4; i++) {
					char h = *jp++;
					v <<= 4;
					if (h >= '0' && h <= '9') v |= h - '0';
					else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
					else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
					else { jerr = "bad \\u escape"; return NULL; }
				}
				if (v >= 0x80) { jerr = "non-ASCII \\u escapes are not supported"; return NULL; }
				c = (char)v;
				break;
			}
			default:
				jerr = "bad escape in string";
				return NULL;
			}
		}
		if (len + 2 > cap) {
			cap *= 2;
			s = realloc(s, cap);
			if (!s)
				fail(4, "out of memory");
		}
		s[len++] = c;
	}
	s[len] = '\0';
	return s;
}

static struct jval *parse_number(void)
{
	struct jval *v = xcalloc(1, sizeof(*v));
	v->kind = J_NUM;
	v->is_int = 1;
	if (*jp == '-') {
		v->neg = 1;
		jp++;
	}
	if (*jp < '0' || *jp > '9') {
		jerr = "bad number";
		return NULL;
	}
	while (*jp >= '0' && *jp <= '9') {
		unsigned d = *jp++ - '0';
		if (v->num > (UINT64_MAX - d) / 10) {
			jerr = "number out of 64-bit range";
			return NULL;
		}
		v->num = v->num * 10 + d;
	}
	if (*jp == '.' || *jp == 'e' || *jp == 'E') {
		v->is_int = 0;
		while ((*jp >= '0' && *jp <= '9') || *jp == '.' || *jp == 'e' || *jp == 'E' || *jp == '+' || *jp == '-')
			jp++;
	}
	return v;
}

static struct jval *parse_value(int depth)
{
	struct jval *v;
	if (depth > 64) {
		jerr = "nesting too deep";
		return NULL;
	}
	skip_ws();
	if (*jp == '{' || *jp == '[') {
		int obj = *jp == '{';
		char close = obj ? '}' : ']';
		int cap = 8;
		v = xcalloc(1, sizeof(*v));
		v->kind = obj ? J_OBJ : J_ARR;
		v->items = xcalloc(cap, sizeof(*v->items));
		v->keys = xcalloc(cap, sizeof(*v->keys));
		jp++;
		skip_ws();
		if (*jp == close) {
			jp++;
			return v;
		}
		for (;;) {
			char *key = NULL;
			struct jval *item;
			skip_ws();
			if (obj) {
				key = parse_string();
				if (!key)
					return NULL;
				for (int i = 0; i < v->n; i++)
					if (strcmp(v->keys[i], key) == 0) {
						jerr = "duplicate key in object";
						return NULL;
					}
				skip_ws();
				if (*jp++ != ':') {
					jerr = "expected ':'";
					return NULL;
				}
			}
			item = parse_value(depth + 1);
			if (!item)
				return NULL;
			if (v->n == cap) {
				cap *= 2;
				v->items = realloc(v->items, cap * sizeof(*v->items));
				v->keys = realloc(v->keys, cap * sizeof(*v->keys));
				if (!v->items || !v->keys)
					fail(4, "out of memory");
			}
			v->keys[v->n] = key;
			v->items[v->n++] = item;
			skip_ws();
			if (*jp == ',') {
				jp++;
				continue;
			}
			if (*jp == close) {
				jp++;
				return v;
			}
			jerr = obj ? "expected ',' or '}'" : "expected ',' or ']'";
			return NULL;
		}
	}
	if (*jp == '"') {
		v = xcalloc(1, sizeof(*v));
		v->kind = J_STR;
		v->str = parse_string();
		return v->str ? v : NULL;
	}
	if (*jp == '-' || (*jp >= '0' && *jp <= '9'))
		return parse_number();
	v = xcalloc(1, sizeof(*v));
	if (strncmp(jp, "true", 4) == 0) { v->kind = J_BOOL; v->num = 1; jp += 4; return v; }
	if (strncmp(jp, "false", 5) == 0) { v->kind = J_BOOL; jp += 5; return v; }
	if (strncmp(jp, "null", 4) == 0) { v->kind = J_NULL; jp += 4; return v; }
	jerr = "unexpected character";
	return NULL;
}

static struct jval *jget(const struct jval *o, const char *key)
{
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return o->items[i];
	return NULL;
}

/* ---------- hex ---------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1; /* the format is lower case only */
}

/* Decodes a lower-case hex string; returns its byte length or -1. */
static long unhex(const char *s, unsigned char **out)
{
	size_t n = strlen(s);
	if (n % 2)
		return -1;
	*out = xcalloc(n / 2, 1);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		(*out)[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

/* ---------- output buffer ---------- */

static char *out;
static size_t out_len, out_cap;

static void emit(const char *fmt, ...)
{
	va_list ap;
	int need;
	va_start(ap, fmt);
	need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (out_len + need + 1 > out_cap) {
		out_cap = (out_len + need + 1) * 2;
		out = realloc(out, out_cap);
		if (!out)
			fail(4, "out of memory");
	}
	va_start(ap, fmt);
	vsnprintf(out + out_len, out_cap - out_len, fmt, ap);
	va_end(ap);
	out_len += need;
}

static void emit_hex(const unsigned char *b, size_t n)
{
	emit("\"");
	for (size_t i = 0; i < n; i++)
		emit("%02x", b[i]);
	emit("\"");
}

/* ---------- scenario validation (before anything is loaded) ---------- */

static const char *req_str(const struct jval *step, const char *field, int idx, int allow_empty)
{
	const struct jval *v = jget(step, field);
	if (!v || v->kind != J_STR)
		fail(2, "step %d: \"%s\" must be a string", idx, field);
	if (!allow_empty && v->str[0] == '\0')
		fail(2, "step %d: \"%s\" must not be empty", idx, field);
	return v->str;
}

static void check_hex(const struct jval *step, const char *field, int idx, int required)
{
	const struct jval *v = jget(step, field);
	unsigned char *b;
	if (!v) {
		if (required)
			fail(2, "step %d: \"%s\" is required", idx, field);
		return;
	}
	if (v->kind != J_STR || unhex(v->str, &b) < 0)
		fail(2, "step %d: \"%s\" must be a lower-case hex string of whole bytes", idx, field);
	free(b);
}

static uint64_t opt_uint(const struct jval *step, const char *field, int idx, uint64_t max, uint64_t dflt)
{
	const struct jval *v = jget(step, field);
	if (!v)
		return dflt;
	if (v->kind != J_NUM || v->neg || !v->is_int || v->num > max)
		fail(2, "step %d: \"%s\" must be an integer in [0, %llu]", idx, field, (unsigned long long)max);
	return v->num;
}

static void only_fields(const struct jval *step, int idx, const char *const *allowed)
{
	for (int i = 0; i < step->n; i++) {
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(step->keys[i], *a) == 0)
				ok = 1;
		if (!ok)
			fail(2, "step %d: unknown field \"%s\"", idx, step->keys[i]);
	}
}

static void validate_step(const struct jval *s, int idx)
{
	const char *op;
	if (s->kind != J_OBJ)
		fail(2, "step %d is not an object", idx);
	op = req_str(s, "op", idx, 0);
	if (strcmp(op, "run") == 0) {
		static const char *const f[] = {"op", "prog", "ctx", "data", "repeat", NULL};
		only_fields(s, idx, f);
		req_str(s, "prog", idx, 0);
		check_hex(s, "ctx", idx, 0);
		check_hex(s, "data", idx, 0);
		opt_uint(s, "repeat", idx, UINT32_MAX, 0);
	} else if (strcmp(op, "sleep") == 0) {
		static const char *const f[] = {"op", "ns", NULL};
		only_fields(s, idx, f);
		if (!jget(s, "ns"))
			fail(2, "step %d: \"ns\" is required", idx);
		opt_uint(s, "ns", idx, 3600ull * 1000000000ull, 0);
	} else if (strcmp(op, "dump") == 0) {
		static const char *const f[] = {"op", "map", NULL};
		only_fields(s, idx, f);
		req_str(s, "map", idx, 0);
	} else if (strcmp(op, "lookup") == 0 || strcmp(op, "delete") == 0) {
		static const char *const f[] = {"op", "map", "key", NULL};
		only_fields(s, idx, f);
		req_str(s, "map", idx, 0);
		check_hex(s, "key", idx, 1);
	} else if (strcmp(op, "update") == 0) {
		static const char *const f[] = {"op", "map", "key", "value", "flags", NULL};
		only_fields(s, idx, f);
		req_str(s, "map", idx, 0);
		check_hex(s, "key", idx, 1);
		check_hex(s, "value", idx, 1);
		opt_uint(s, "flags", idx, UINT32_MAX, 0);
	} else if (strcmp(op, "release") == 0) {
		static const char *const f[] = {"op", "maps", NULL};
		const struct jval *m = jget(s, "maps");
		only_fields(s, idx, f);
		if (!m || m->kind != J_ARR || m->n == 0)
			fail(2, "step %d: \"maps\" must be a non-empty array of map names", idx);
		for (int i = 0; i < m->n; i++)
			if (m->items[i]->kind != J_STR || !m->items[i]->str[0])
				fail(2, "step %d: \"maps\" must hold map names", idx);
	} else {
		fail(2, "step %d: unknown op \"%s\"", idx, op);
	}
}

/* ---------- maps and programs ---------- */

struct released {
	char name[128];
	struct released *next;
};
static struct released *released_maps;

static struct bpf_map *find_map(struct bpf_object *obj, const char *name, int idx)
{
	struct bpf_map *m;
	for (struct released *r = released_maps; r; r = r->next)
		if (strcmp(r->name, name) == 0)
			fail(2, "step %d: map \"%s\" was released", idx, name);
	if (name[0] == '.') {
		/* libbpf names global-data maps "<object name prefix>.bss" etc. */
		bpf_object__for_each_map(m, obj) {
			const char *mn = bpf_map__name(m);
			size_t ml = strlen(mn), nl = strlen(name);
			if (bpf_map__is_internal(m) && ml >= nl && strcmp(mn + ml - nl, name) == 0)
				return m;
		}
	} else {
		m = bpf_object__find_map_by_name(obj, name);
		if (m)
			return m;
	}
	fail(2, "step %d: the object has no map \"%s\"", idx, name);
	return NULL;
}

static int is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* Value size as user space sees it: per-CPU maps carry one 8-byte-aligned slot per possible CPU. */
static size_t user_value_size(struct bpf_map *m)
{
	size_t vs = bpf_map__value_size(m);
	if (is_percpu(bpf_map__type(m))) {
		int ncpu = libbpf_num_possible_cpus();
		if (ncpu < 1)
			fail(4, "cannot count possible CPUs");
		return ((vs + 7) & ~(size_t)7) * ncpu;
	}
	return vs;
}

/* Parses a key for map m; an empty key means NULL (queue, stack, bloom filter). */
static void *key_arg(struct bpf_map *m, const char *hex, int idx)
{
	unsigned char *k;
	long n = unhex(hex, &k);
	if (n == 0 && bpf_map__key_size(m) == 0)
		return NULL;
	if (n != (long)bpf_map__key_size(m))
		fail(2, "step %d: key of %ld bytes, map \"%s\" has %u-byte keys", idx, n, bpf_map__name(m), bpf_map__key_size(m));
	return k;
}

struct entry {
	unsigned char *key, *value;
};
static size_t entry_key_size;

static int cmp_entry(const void *a, const void *b)
{
	return memcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key, entry_key_size);
}

static void do_dump(struct bpf_map *m)
{
	int fd = bpf_map__fd(m);
	size_t ks = bpf_map__key_size(m), vs = user_value_size(m);
	size_t n = 0, cap = 64;
	struct entry *e = xcalloc(cap, sizeof(*e));
	unsigned char *prev = NULL, *next = xcalloc(ks, 1);
	int err = 0;

	for (;;) {
		if (bpf_map_get_next_key(fd, prev, next) < 0) {
			if (errno != ENOENT)
				err = errno;
			break;
		}
		unsigned char *v = xcalloc(vs, 1);
		if (bpf_map_lookup_elem(fd, next, v) < 0) {
			/* deleted under our feet (a timer callback): skip it */
			free(v);
		} else {
			if (n == cap) {
				cap *= 2;
				e = realloc(e, cap * sizeof(*e));
				if (!e)
					fail(4, "out of memory");
			}
			e[n].key = xcalloc(ks, 1);
			memcpy(e[n].key, next, ks);
			e[n].value = v;
			n++;
		}
		free(prev);
		prev = next;
		next = xcalloc(ks, 1);
		if (n > 1u << 20)
			fail(4, "map \"%s\" has too many entries to dump", bpf_map__name(m));
	}
	if (err) {
		emit("{\"errno\":%d}", err);
		return;
	}
	entry_key_size = ks;
	qsort(e, n, sizeof(*e), cmp_entry);
	emit("{\"entries\":[");
	for (size_t i = 0; i < n; i++) {
		emit(i ? ",[" : "[");
		emit_hex(e[i].key, ks);
		emit(",");
		emit_hex(e[i].value, vs);
		emit("]");
	}
	emit("]}");
}

/* Resolves every program and map name before the first step runs, so that a malformed scenario
 * fails before it has any effect; also rejects steps naming a map released earlier. */
static void check_names(struct bpf_object *obj, const struct jval *steps)
{
	for (int i = 0; i < steps->n; i++) {
		const struct jval *s = steps->items[i];
		const char *op = jget(s, "op")->str;
		const struct jval *v;
		if (strcmp(op, "run") == 0) {
			if (!bpf_object__find_program_by_name(obj, jget(s, "prog")->str))
				fail(2, "step %d: the object has no program \"%s\"", i, jget(s, "prog")->str);
		} else if ((v = jget(s, "map")) != NULL) {
			struct bpf_map *m = find_map(obj, v->str, i);
			if ((v = jget(s, "key")) != NULL)
				free(key_arg(m, v->str, i));
			if ((v = jget(s, "value")) != NULL) {
				unsigned char *b;
				long n = unhex(v->str, &b);
				if ((size_t)n != user_value_size(m))
					fail(2, "step %d: value of %ld bytes, map \"%s\" takes %zu", i, n, bpf_map__name(m), user_value_size(m));
				free(b);
			}
		} else if (strcmp(op, "release") == 0) {
			v = jget(s, "maps");
			for (int j = 0; j < v->n; j++) {
				struct released *r = xcalloc(1, sizeof(*r));
				find_map(obj, v->items[j]->str, i);
				snprintf(r->name, sizeof(r->name), "%s", v->items[j]->str);
				r->next = released_maps;
				released_maps = r;
			}
		}
	}
	while (released_maps) {
		struct released *r = released_maps;
		released_maps = r->next;
		free(r);
	}
}

static void do_release(struct bpf_map *m)
{
	int fd = bpf_map__fd(m);
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || nul < 0)
		fail(4, "release %s: no fd (%d) or cannot open /dev/null", bpf_map__name(m), fd);
	/* dup2 closes the map's file (its last user reference) and puts /dev/null in its place. */
	if (dup2(nul, fd) < 0)
		fail(4, "release %s: dup2: %s", bpf_map__name(m), strerror(errno));
	close(nul);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ns / 1000000000ull;
	t.tv_nsec += ns % 1000000000ull;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, len = 0, r;
	char *buf;
	if (!f)
		fail(2, "cannot read %s: %s", path, strerror(errno));
	buf = xcalloc(cap, 1);
	while ((r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += r;
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				fail(4, "out of memory");
		}
	}
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len)
		fail(2, "%s contains a NUL byte", path);
	return buf;
}

int main(int argc, char **argv)
{
	struct jval *root, *object, *steps;
	struct bpf_object *obj;
	char *path_copy, objpath[PATH_MAX];
	int err;

	if (argc != 2)
		fail(2, "usage: kernel-scenario SCENARIO.json");
	jp = read_file(argv[1]);
	root = parse_value(0);
	if (root) {
		skip_ws();
		if (*jp) {
			jerr = "trailing characters after the JSON value";
			root = NULL;
		}
	}
	if (!root)
		fail(2, "%s: malformed JSON: %s", argv[1], jerr);
	if (root->kind != J_OBJ)
		fail(2, "%s: the scenario must be a JSON object", argv[1]);
	for (int i = 0; i < root->n; i++)
		if (strcmp(root->keys[i], "object") && strcmp(root->keys[i], "steps"))
			fail(2, "%s: unknown top-level field \"%s\"", argv[1], root->keys[i]);
	object = jget(root, "object");
	steps = jget(root, "steps");
	if (!object || object->kind != J_STR || !object->str[0])
		fail(2, "%s: \"object\" must be a non-empty string", argv[1]);
	if (!steps || steps->kind != J_ARR)
		fail(2, "%s: \"steps\" must be an array", argv[1]);
	for (int i = 0; i < steps->n; i++)
		validate_step(steps->items[i], i);

	path_copy = strdup(argv[1]);
	if (object->str[0] == '/')
		snprintf(objpath, sizeof(objpath), "%s", object->str);
	else
		snprintf(objpath, sizeof(objpath), "%s/%s", dirname(path_copy), object->str);

	libbpf_set_print(quiet_print);
	obj = bpf_object__open_file(objpath, NULL);
	if (!obj)
		fail(3, "cannot open %s: %s", objpath, strerror(errno));
	err = bpf_object__load(obj);
	if (err) {
		printf("{\"load\":{\"errno\":%d}}\n", -err);
		bpf_object__close(obj);
		return 0;
	}

	check_names(obj, steps);
	emit("{\"steps\":[");
	for (int i = 0; i < steps->n; i++) {
		const struct jval *s = steps->items[i];
		const char *op = jget(s, "op")->str;
		if (i)
			emit(",");
		if (strcmp(op, "run") == 0) {
			const char *name = jget(s, "prog")->str;
			struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
			const struct jval *ctx = jget(s, "ctx"), *data = jget(s, "data");
			unsigned char *cbuf = NULL, *dbuf = NULL;
			long cn = 0, dn = 0;
			LIBBPF_OPTS(bpf_test_run_opts, o);
			if (!p)
				fail(2, "step %d: the object has no program \"%s\"", i, name);
			if (ctx) {
				cn = unhex(ctx->str, &cbuf);
				o.ctx_in = cbuf;
				o.ctx_size_in = cn;
			}
			if (data) {
				dn = unhex(data->str, &dbuf);
				o.data_in = dbuf;
				o.data_size_in = dn;
			}
			o.repeat = (int)opt_uint(s, "repeat", i, UINT32_MAX, 0);
			if (bpf_prog_test_run_opts(bpf_program__fd(p), &o) < 0)
				emit("{\"errno\":%d}", errno);
			else
				emit("{\"retval\":%d}", (int32_t)o.retval);
			free(cbuf); free(dbuf);
		} else if (strcmp(op, "sleep") == 0) {
			sleep_ns(jget(s, "ns")->num);
			emit("{}");
		} else if (strcmp(op, "dump") == 0) {
			do_dump(find_map(obj, jget(s, "map")->str, i));
		} else if (strcmp(op, "lookup") == 0) {
			struct bpf_map *m = find_map(obj, jget(s, "map")->str, i);
			void *k = key_arg(m, jget(s, "key")->str, i);
			size_t vs = user_value_size(m);
			unsigned char *v = xcalloc(vs, 1);
			if (bpf_map_lookup_elem(bpf_map__fd(m), k, v) < 0) {
				emit("{\"errno\":%d}", errno);
			} else {
				emit("{\"value\":");
				emit_hex(v, vs);
				emit("}");
			}
			free(k); free(v);
		} else if (strcmp(op, "update") == 0) {
			struct bpf_map *m = find_map(obj, jget(s, "map")->str, i);
			void *k = key_arg(m, jget(s, "key")->str, i);
			unsigned char *v;
			long vn = unhex(jget(s, "value")->str, &v);
			if ((size_t)vn != user_value_size(m))
				fail(2, "step %d: value of %ld bytes, map \"%s\" takes %zu", i, vn, bpf_map__name(m), user_value_size(m));
			err = bpf_map_update_elem(bpf_map__fd(m), k, v, opt_uint(s, "flags", i, UINT32_MAX, 0));
			emit("{\"errno\":%d}", err < 0 ? errno : 0);
			free(k); free(v);
		} else if (strcmp(op, "delete") == 0) {
			struct bpf_map *m = find_map(obj, jget(s, "map")->str, i);
			void *k = key_arg(m, jget(s, "key")->str, i);
			err = bpf_map_delete_elem(bpf_map__fd(m), k);
			emit("{\"errno\":%d}", err < 0 ? errno : 0);
			free(k);
		} else if (strcmp(op, "release") == 0) {
			const struct jval *ms = jget(s, "maps");
			for (int j = 0; j < ms->n; j++) {
				struct bpf_map *m = find_map(obj, ms->items[j]->str, i);
				struct released *r = xcalloc(1, sizeof(*r));
				do_release(m);
				snprintf(r->name, sizeof(r->name), "%s", ms->items[j]->str);
				r->next = released_maps;
				released_maps = r;
			}
			emit("{}");
		}
	}
	emit("]}");
	printf("%s\n", out);
	fflush(stdout);
	bpf_object__close(obj);
	return 0;
}

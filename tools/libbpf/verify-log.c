// The kernel's verdict on every program of a BPF object, as libbpf loads it: opens OBJ with the
// system's libbpf, gives each program its own log buffer at the requested log level, loads the
// object and prints one JSON object on stdout:
//
//   {"errno":E,"programs":[{"name":..,"autoload":true|false,"loaded":true|false,"verifiedInsns":N,"loadNs":N,"log":".."}]}
//
// errno is 0 when bpf_object__load succeeded. bpf_object__load stops at the first program the
// kernel refuses: that program has its log and loaded=false; later programs were never tried
// (empty log). verifiedInsns comes from bpf_prog_info (the kernel's `processed` count) for loaded
// programs. loadNs is the wall time of the whole bpf_object__load (maps and BTF included), for
// reference only: the kernel's own verification time is in the log at level 4 (BPF_LOG_STATS).
// Built by tools/libbpf/verify-log.ts: cc verify-log.c -lbpf -lelf -lz.
//
//   verify-log [--log-level N] OBJ        exit 0 (loaded), 4 (refused), 3 (open failed), 2 (usage)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_PROGS 128
#define LOG_SIZE (16u << 20)

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	static char *logs[MAX_PROGS];
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct timespec t0, t1;
	const char *path;
	unsigned level = 1;
	int err, n = 0, first = 1;

	if (argc == 4 && strcmp(argv[1], "--log-level") == 0)
		level = (unsigned)atoi(argv[2]);
	else if (argc != 2) {
		fprintf(stderr, "usage: verify-log [--log-level N] OBJ\n");
		return 2;
	}
	path = argv[argc - 1];
	libbpf_set_print(quiet);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		printf("{\"errno\":%d,\"open\":false,\"programs\":[]}\n", errno);
		return 3;
	}
	bpf_object__for_each_program(prog, obj) {
		if (n >= MAX_PROGS)
			break;
		logs[n] = calloc(1, LOG_SIZE);
		if (!logs[n])
			return 2;
		bpf_program__set_log_buf(prog, logs[n], LOG_SIZE);
		bpf_program__set_log_level(prog, level);
		n++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = bpf_object__load(obj);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("{\"errno\":%d,\"open\":true,\"programs\":[", err < 0 ? -err : 0);
	n = 0;
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (n >= MAX_PROGS)
			break;
		memset(&info, 0, sizeof(info));
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
			memset(&info, 0, sizeof(info));
		printf("%s{\"name\":", first ? "" : ",");
		json_str(bpf_program__name(prog));
		printf(",\"autoload\":%s,\"loaded\":%s,\"verifiedInsns\":%u,\"loadNs\":%lld,\"log\":",
		       bpf_program__autoload(prog) ? "true" : "false", fd >= 0 ? "true" : "false",
		       info.verified_insns,
		       (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
		json_str(logs[n]);
		putchar('}');
		first = 0;
		n++;
	}
	printf("]}\n");
	bpf_object__close(obj);
	return err ? 4 : 0;
}

// Ground truth for tsbpf's loader: opens a BPF object with the system's libbpf, optionally loads
// it into the running kernel, and prints what libbpf and the kernel say about it as one JSON
// object on stdout. Built by tools/libbpf/objinfo.ts: cc objinfo.c -lbpf -lelf -lz.
//
//   objinfo [--open-only] OBJ
//
// Programs: name, section, type, expected attach type, sleepable flag (from prog flags) and, after
// load, bpf_program__insn_cnt (the linked count, subprograms appended). Maps: libbpf's name, the
// kernel's name, type, key/value size, max entries, flags (bpf_map_get_info_by_fd after load,
// libbpf's definition with --open-only), pinning (libbpf's pin path is cleared before load so
// that loading leaves nothing in bpffs), and the initial value size of global data.
// Exit status: 0 on success; 3 when open fails; 4 when load fails (JSON still printed with
// "error").
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_MAPS 256

static char last_warning[1024];

static int capture(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_WARN)
		vsnprintf(last_warning, sizeof(last_warning), fmt, args);
	return 0;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	int open_only = argc == 3 && strcmp(argv[1], "--open-only") == 0;
	const char *path = argv[argc - 1];
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int err = 0, first, n;
	int pinned[MAX_MAPS];

	if (argc < 2 || (argc == 3 && !open_only) || argc > 3) {
		fprintf(stderr, "usage: objinfo [--open-only] OBJ\n");
		return 2;
	}
	libbpf_set_print(capture);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		err = -errno;
		printf("{\"stage\":\"open\",\"errno\":%d,\"error\":", -err);
		json_str(last_warning);
		printf("}\n");
		return 3;
	}
	n = 0;
	bpf_object__for_each_map(map, obj) {
		int p = bpf_map__pin_path(map) != NULL;

		if (n < MAX_MAPS)
			pinned[n++] = p;
		if (p)
			bpf_map__set_pin_path(map, NULL);
	}
	if (!open_only) {
		err = bpf_object__load(obj);
		if (err) {
			printf("{\"stage\":\"load\",\"errno\":%d,\"error\":", -err);
			json_str(last_warning);
			printf("}\n");
			bpf_object__close(obj);
			return 4;
		}
	}
	printf("{\"stage\":\"%s\",\"programs\":[", open_only ? "open" : "load");
	first = 1;
	bpf_object__for_each_program(prog, obj) {
		printf("%s{\"name\":", first ? "" : ",");
		json_str(bpf_program__name(prog));
		printf(",\"section\":");
		json_str(bpf_program__section_name(prog));
		printf(",\"type\":%d,\"expectedAttachType\":%d,\"flags\":%u,\"autoload\":%s",
		       bpf_program__type(prog), bpf_program__expected_attach_type(prog),
		       bpf_program__flags(prog), bpf_program__autoload(prog) ? "true" : "false");
		printf(",\"insnCnt\":%zu}", bpf_program__insn_cnt(prog));
		first = 0;
	}
	printf("],\"maps\":[");
	first = 1;
	n = 0;
	bpf_object__for_each_map(map, obj) {
		printf("%s{\"name\":", first ? "" : ",");
		json_str(bpf_map__name(map));
		printf(",\"pinning\":%d,\"numaNode\":%u", n < MAX_MAPS ? pinned[n] : 0, bpf_map__numa_node(map));
		n++;
		if (!open_only && bpf_map__fd(map) >= 0) {
			struct bpf_map_info info;
			__u32 len = sizeof(info);

			memset(&info, 0, sizeof(info));
			if (bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len) == 0) {
				printf(",\"kernelName\":");
				json_str(info.name);
				printf(",\"type\":%u,\"keySize\":%u,\"valueSize\":%u,\"maxEntries\":%u,\"flags\":%u,\"btfKeyTypeId\":%u,\"btfValueTypeId\":%u,\"mapExtra\":\"%llu\"}",
				       info.type, info.key_size, info.value_size, info.max_entries, info.map_flags,
				       info.btf_key_type_id, info.btf_value_type_id, (unsigned long long)info.map_extra);
				first = 0;
				continue;
			}
		}
		printf(",\"type\":%d,\"keySize\":%u,\"valueSize\":%u,\"maxEntries\":%u,\"flags\":%u,\"btfKeyTypeId\":%u,\"btfValueTypeId\":%u,\"mapExtra\":\"%llu\"}",
		       bpf_map__type(map), bpf_map__key_size(map), bpf_map__value_size(map),
		       bpf_map__max_entries(map), bpf_map__map_flags(map),
		       bpf_map__btf_key_type_id(map), bpf_map__btf_value_type_id(map),
		       (unsigned long long)bpf_map__map_extra(map));
		first = 0;
	}
	printf("]}\n");
	bpf_object__close(obj);
	return 0;
}

// BTF fixture: CO-RE relocations of every kind a local-BTF runtime can apply, used by
// src/btf/core tests. Results land in a global array so each relocation is kept.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

enum core_e { CE_A = 1, CE_B = 40 };

struct core_inner { int x; unsigned int bf : 5; int sbf : 7; };
struct core_s {
	long long a;
	struct core_inner in[3];
	char tail;
} __attribute__((preserve_access_index));

__u64 out[12];

SEC("xdp")
int core_prog(struct xdp_md *ctx)
{
	struct core_s *s = (void *)(long)ctx->data;

	out[0] = bpf_core_field_offset(s->in[2].x);
	out[1] = bpf_core_field_size(s->tail);
	out[2] = bpf_core_field_exists(s->a);
	out[3] = bpf_core_type_size(struct core_s);
	out[4] = bpf_core_type_id_local(struct core_s);
	out[5] = bpf_core_enum_value(enum core_e, CE_B);
	out[6] = bpf_core_enum_value_exists(enum core_e, CE_A);
	out[7] = bpf_core_type_exists(struct core_inner);
	out[8] = __builtin_preserve_field_info(s->in[1].sbf, BPF_FIELD_SIGNED);
	out[9] = __builtin_preserve_field_info(s->in[1].bf, BPF_FIELD_LSHIFT_U64);
	out[10] = __builtin_preserve_field_info(s->in[1].bf, BPF_FIELD_RSHIFT_U64);
	out[11] = __builtin_preserve_field_info(s->in[1].bf, BPF_FIELD_BYTE_OFFSET);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * Helper scenarios (issue 4): the printing helpers' return values (bpf_trace_printk,
 * bpf_trace_vprintk: the rendered length; bpf_snprintf: the length with the NUL, and the text it
 * wrote; its format is checked by the verifier, so a bad one fails the load instead), and helpers whose values depend on the host, checked by invariant inside the program:
 * the current task's identity, bpf_get_prandom_u32, bpf_get_smp_processor_id (a CPU that
 * bpf_map_lookup_percpu_elem accepts) and bpf_get_numa_node_id. Results land in `out` (.bss).
 */
#include "scenario.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} pcpu SEC(".maps");

/* One struct, so that the layout of .bss is the declaration order. */
struct {
	s64 print[10];
	char text[3][32];
	s64 task[8];
	s64 rnd[4];
	s64 cpu[4];
} out;

SEC("syscall")
int printing(void *ctx)
{
	static const char hello[] = "hello %d\n";
	static const char hex[] = "%llx-%s";
	static const char bad[] = "%n";
	static const char four[] = "%d %d %d %d";
	static const char num[] = "n=%u, %03d|%-4d|";
	static const char word[] = "tsbpf";
	u64 args[4] = {1, 22, 333, 4444};
	u64 sargs[3] = {7, 5, 42};
	u64 hargs[2] = {0xbeef, (u64)(long)word};
	int i = 0;

	out.print[i++] = bpf_trace_printk(hello, sizeof(hello), 42);             /* 9 */
	out.print[i++] = bpf_trace_printk(hex, sizeof(hex), 0xbeef, (u64)(long)word); /* 10 */
	out.print[i++] = bpf_trace_printk(bad, sizeof(bad));                     /* -EINVAL */
	out.print[i++] = bpf_trace_vprintk(four, sizeof(four), args, sizeof(args)); /* 15 */
	out.print[i++] = bpf_trace_vprintk(four, sizeof(four), args, 3 * 8);     /* -EINVAL: too few */
	out.print[i++] = bpf_snprintf(out.text[0], 32, num, sargs, sizeof(sargs)); /* 19: with the NUL */
	out.print[i++] = bpf_snprintf(out.text[1], 8, num, sargs, sizeof(sargs));  /* 19, truncated */
	out.print[i++] = bpf_snprintf(out.text[2], 32, hex, hargs, sizeof(hargs)); /* 11 */
	return 0;
}

SEC("syscall")
int identity(void *ctx)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	u64 uid_gid = bpf_get_current_uid_gid();
	char comm[16] = {};
	char small[4];
	int i = 0, n = 0;

	out.task[i++] = pid_tgid != 0;
	out.task[i++] = (u32)pid_tgid == (u32)(pid_tgid >> 32); /* a single-threaded process: pid == tgid */
	out.task[i++] = (u32)uid_gid == (u32)(uid_gid >> 32);   /* uid == gid (root: 0, 0) */
	out.task[i++] = bpf_get_current_comm(comm, sizeof(comm));
	for (int j = 0; j < 16; j++)
		if (comm[j])
			n++;
		else
			break;
	out.task[i++] = n > 0 && n < 16;                         /* a name, NUL-terminated */
	out.task[i++] = bpf_get_current_comm(small, sizeof(small));
	out.task[i++] = small[3] == 0 && small[0] == comm[0];    /* truncated to 3 bytes + NUL */
	return 0;
}

/* Callback state in a global, so that the verifier's exploration of the callback converges. */
struct draws {
	u64 any, all, prev, repeats;
} dr;

static int draw(u32 i, void *ctx)
{
	struct draws *d = &dr;
	u64 v = bpf_get_prandom_u32();

	d->any |= v;
	d->all &= v;
	if (i > 0 && v == d->prev)
		d->repeats++;
	d->prev = v;
	return 0;
}

SEC("syscall")
int random(void *ctx)
{
	dr.any = 0;
	dr.all = 0xffffffff;
	dr.repeats = 0;
	bpf_loop(32, draw, 0, 0);
	out.rnd[0] = dr.any == 0xffffffff; /* every bit set in some draw (fails with odds 2^-27) */
	out.rnd[1] = dr.all == 0;          /* every bit clear in some draw */
	out.rnd[2] = dr.repeats == 0;      /* no two consecutive draws equal */
	out.rnd[3] = dr.any >> 32;         /* 0: the values are u32 */
	dr.prev = 0;                       /* .bss is dumped: keep no drawn value there */
	return 0;
}

SEC("syscall")
int cpu(void *ctx)
{
	u32 k = 0;
	u32 id = bpf_get_smp_processor_id();

	out.cpu[0] = bpf_map_lookup_percpu_elem(&pcpu, &k, id) != 0;      /* a possible CPU */
	out.cpu[1] = bpf_map_lookup_percpu_elem(&pcpu, &k, 4096) == 0;    /* not a CPU */
	out.cpu[2] = bpf_get_numa_node_id();
	out.cpu[3] = bpf_map_lookup_elem(&pcpu, &k) == bpf_map_lookup_percpu_elem(&pcpu, &k, id);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

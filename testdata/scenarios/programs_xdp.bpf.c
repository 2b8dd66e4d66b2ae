// SPDX-License-Identifier: GPL-2.0
/*
 * XDP test runs (issue 4): bpf_xdp_adjust_head / adjust_meta / adjust_tail at and beyond their
 * limits, bpf_redirect's verdicts, tail calls through a prog array initialised by libbpf
 * (.values), the tail-call limit, bpf_csum_diff on stack buffers and bpf_ktime_get_coarse_ns.
 * Every result lands in `out` (.bss); the scenarios run the programs on a 64-byte packet.
 */
#include "scenario.h"

#define EACCES 13

/* One struct, so that the layout of .bss is the declaration order. */
struct {
	s64 head[12];
	s64 meta[10];
	s64 tail[12];
	s64 redirect[4];
	s64 csum[6];
	s64 coarse[2];
	s64 calls[4];   /* tail_a runs, tail_self runs (the chain), fall-through count */
} out;

static __always_inline long pkt_len(struct xdp_md *ctx)
{
	return (long)ctx->data_end - (long)ctx->data;
}

static __always_inline long meta_len(struct xdp_md *ctx)
{
	return (long)ctx->data - (long)ctx->data_meta;
}

/* bpf_xdp_adjust_head: room down to the xdp_frame (256 - 40 bytes of headroom), at least
 * ETH_HLEN bytes of packet; the bytes uncovered in front are readable and writable. */
SEC("xdp")
int xdp_head(struct xdp_md *ctx)
{
	unsigned char *d, *end;
	long len;
	int i = 0;

	out.head[i++] = pkt_len(ctx);                        /* 64 */
	out.head[i++] = bpf_xdp_adjust_head(ctx, -16);       /* 0 */
	out.head[i++] = pkt_len(ctx);                        /* 80 */
	d = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (d + 17 > end)
		return XDP_ABORTED;
	out.head[i++] = d[16];                               /* the first byte of the original packet */
	d[0] = 0xaa;
	out.head[i++] = bpf_xdp_adjust_head(ctx, 16);        /* 0 */
	out.head[i++] = bpf_xdp_adjust_head(ctx, -216);      /* 0: data reaches the xdp_frame */
	out.head[i++] = bpf_xdp_adjust_head(ctx, -1);        /* -EINVAL */
	out.head[i++] = bpf_xdp_adjust_head(ctx, 216);       /* 0 */
	len = pkt_len(ctx);
	out.head[i++] = bpf_xdp_adjust_head(ctx, len - 13);  /* -EINVAL: fewer than ETH_HLEN left */
	out.head[i++] = bpf_xdp_adjust_head(ctx, len - 14);  /* 0 */
	out.head[i++] = pkt_len(ctx);                        /* 14 */
	return XDP_PASS;
}

/* bpf_xdp_adjust_meta: 4-byte multiples only (-EACCES), not past data nor into the xdp_frame
 * (-EINVAL); adjust_head carries the metadata along. */
SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	u32 *m;
	void *data;
	int i = 0;

	out.meta[i++] = meta_len(ctx);                       /* 0 */
	out.meta[i++] = bpf_xdp_adjust_meta(ctx, -8);        /* 0 */
	out.meta[i++] = meta_len(ctx);                       /* 8 */
	m = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(m + 2) > data)
		return XDP_ABORTED;
	m[0] = 0x11223344;
	m[1] = 0x55667788;
	out.meta[i++] = bpf_xdp_adjust_meta(ctx, -6);        /* -EACCES: 14 bytes of metadata */
	out.meta[i++] = bpf_xdp_adjust_meta(ctx, 12);        /* -EINVAL: beyond data */
	out.meta[i++] = bpf_xdp_adjust_head(ctx, -4);        /* 0 */
	out.meta[i++] = meta_len(ctx);                       /* 8: the metadata moved with data */
	m = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(m + 2) > data)
		return XDP_ABORTED;
	out.meta[i++] = m[0];                                /* 0x11223344 */
	out.meta[i++] = bpf_xdp_adjust_meta(ctx, -220);      /* -EINVAL: into the xdp_frame */
	out.meta[i++] = bpf_xdp_adjust_meta(ctx, 8);         /* 0: no metadata */
	return XDP_PASS;
}

/* bpf_xdp_adjust_tail: grown bytes are zeroed; data_end stays within the frame minus the
 * skb_shared_info tailroom and keeps ETH_HLEN bytes of packet. */
SEC("xdp")
int xdp_tail(struct xdp_md *ctx)
{
	unsigned char *d, *end;
	long len;
	int i = 0;

	out.tail[i++] = bpf_xdp_adjust_tail(ctx, -4);        /* 0 */
	out.tail[i++] = pkt_len(ctx);                        /* 60 */
	out.tail[i++] = bpf_xdp_adjust_tail(ctx, 8);         /* 0 */
	out.tail[i++] = pkt_len(ctx);                        /* 68 */
	d = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (d + 68 > end)
		return XDP_ABORTED;
	out.tail[i++] = *(u64 *)(d + 60);                    /* 0: the grown bytes */
	out.tail[i++] = *(u64 *)(d + 52);                    /* packet bytes 52..59, kept */
	len = pkt_len(ctx);
	out.tail[i++] = bpf_xdp_adjust_tail(ctx, 3521 - len); /* -EINVAL: one byte past the room */
	out.tail[i++] = bpf_xdp_adjust_tail(ctx, 3520 - len); /* 0: 4096 - 256 - 320 bytes of packet */
	out.tail[i++] = pkt_len(ctx);                        /* 3520 */
	len = pkt_len(ctx);
	out.tail[i++] = bpf_xdp_adjust_tail(ctx, 13 - len);  /* -EINVAL */
	out.tail[i++] = bpf_xdp_adjust_tail(ctx, 14 - len);  /* 0 */
	out.tail[i++] = pkt_len(ctx);                        /* 14 */
	return XDP_PASS;
}

/* bpf_redirect: XDP_REDIRECT for flags 0, XDP_ABORTED for any flag. */
SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	out.redirect[0] = bpf_redirect(1, 0);
	out.redirect[1] = bpf_redirect(1, 1);
	out.redirect[2] = bpf_redirect(5, 0);
	return bpf_redirect(1, 0);
}

/* bpf_csum_diff on stack words, and the coarse clock against the monotonic one. */
SEC("xdp")
int xdp_csum_clock(struct xdp_md *ctx)
{
	u32 from[4] = {0x01020304, 0x05060708, 0xa0b0c0d0, 0xffffffff};
	u32 to[2] = {0x11111111, 0x80000001};
	u64 coarse, ns;

	out.csum[0] = bpf_csum_diff(from, 16, to, 8, 0);
	out.csum[1] = bpf_csum_diff(0, 0, to, 8, 0x1234);
	out.csum[2] = bpf_csum_diff(from, 16, 0, 0, 0xffff);
	out.csum[3] = bpf_csum_diff(from, 12, to, 4, 0);
	out.csum[4] = bpf_csum_diff(from, 3, to, 4, 0);      /* -EINVAL: not a multiple of 4 */
	out.csum[5] = bpf_csum_diff(from, 0, to, 0, 7);
	coarse = bpf_ktime_get_coarse_ns();
	ns = bpf_ktime_get_ns();
	out.coarse[0] = coarse <= ns;
	out.coarse[1] = ns - coarse < 100 * MS;              /* the coarse clock lags by at most a tick */
	return XDP_PASS;
}

/* ---- tail calls ---- */
int tail_a(struct xdp_md *ctx);
int tail_self(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__array(values, int (void *));
} jmp SEC(".maps") = {
	.values = {
		[0] = (void *)&tail_a,
		[2] = (void *)&tail_self,
	},
};

u32 chain;

SEC("xdp")
int tail_a(struct xdp_md *ctx)
{
	out.calls[0]++;
	return 10;
}

/* Calls itself through slot 2 until the kernel's limit (33 tail calls per run) stops it. */
SEC("xdp")
int tail_self(struct xdp_md *ctx)
{
	chain++;
	out.calls[1] = chain;
	bpf_tail_call(ctx, &jmp, 2);
	return 1000 + chain;
}

SEC("xdp")
int call_a(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jmp, 0);
	out.calls[2]++;
	return 20;
}

SEC("xdp")
int call_empty(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jmp, 1);   /* an empty slot: execution continues */
	out.calls[2]++;
	return 21;
}

SEC("xdp")
int call_out_of_range(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jmp, 9);   /* index >= max_entries: execution continues */
	out.calls[2]++;
	return 22;
}

SEC("xdp")
int call_chain(struct xdp_md *ctx)
{
	chain = 0;
	bpf_tail_call(ctx, &jmp, 2);
	return 23;
}

char LICENSE[] SEC("license") = "GPL";

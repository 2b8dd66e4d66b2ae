/* Shared by the tsbpf examples: packet parsing with the bounds checks the verifier wants, and the
 * few constants newer than Debian's uapi 6.1 headers. Ethernet, up to two VLAN tags (802.1Q/802.1ad),
 * IPv4, TCP and UDP. */
#ifndef TSBPF_EXAMPLE_PACKET_H
#define TSBPF_EXAMPLE_PACKET_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef BPF_F_TIMER_ABS
#define BPF_F_TIMER_ABS 1
#endif

#define CLOCK_MONOTONIC 1
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

struct vlan_tag {
	__be16 tci;
	__be16 encapsulated_proto;
};

/* What a parse found. Anything but PARSE_OK leaves the tuple fields partly filled. */
enum parse_result {
	PARSE_OK = 0,        /* IPv4 + TCP/UDP, tuple filled */
	PARSE_NOT_IPV4 = 1,  /* a well-formed frame of another ethertype (ARP, IPv6, ...) */
	PARSE_OTHER_L4 = 2,  /* IPv4, but not TCP/UDP, or a non-first fragment (no ports) */
	PARSE_MALFORMED = 3, /* truncated headers or impossible lengths */
};

struct parsed {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 tcp_flags;  /* FIN=0x01 SYN=0x02 RST=0x04 ACK=0x10, 0 for UDP */
	__u16 l3_off;    /* offset of the IPv4 header from the frame start */
	__u16 l4_off;    /* offset of the TCP/UDP header */
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

static __always_inline int parse_frame(struct xdp_md *ctx, struct parsed *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__u16 proto;

	if ((void *)(eth + 1) > data_end)
		return PARSE_MALFORMED;
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_tag *tag = data + off;
		if ((void *)(tag + 1) > data_end)
			return PARSE_MALFORMED;
		proto = tag->encapsulated_proto;
		off += sizeof(*tag);
	}
	if (proto != bpf_htons(ETH_P_IP))
		return PARSE_NOT_IPV4;

	struct iphdr *ip = data + off;
	if ((void *)(ip + 1) > data_end)
		return PARSE_MALFORMED;
	__u32 ihl_bytes = (__u32)ip->ihl * 4;
	if (ip->version != 4 || ihl_bytes < sizeof(*ip))
		return PARSE_MALFORMED;
	__u32 tot_len = bpf_ntohs(ip->tot_len);
	if (tot_len < ihl_bytes || data + off + tot_len > data_end)
		return PARSE_MALFORMED;
	p->saddr = ip->saddr;
	p->daddr = ip->daddr;
	p->proto = ip->protocol;
	p->tcp_flags = 0;
	p->l3_off = off;
	p->sport = 0;
	p->dport = 0;
	if (ip->frag_off & bpf_htons(0x1fff))
		return PARSE_OTHER_L4;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return PARSE_OTHER_L4;

	off += ihl_bytes;
	p->l4_off = off;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = data + off;
		if ((void *)(tcp + 1) > data_end || tcp->doff < 5 || (__u32)tcp->doff * 4 > tot_len - ihl_bytes)
			return PARSE_MALFORMED;
		p->sport = tcp->source;
		p->dport = tcp->dest;
		p->tcp_flags = ((__u8 *)tcp)[13];
	} else {
		struct udphdr *udp = data + off;
		if ((void *)(udp + 1) > data_end || bpf_ntohs(udp->len) < sizeof(*udp) ||
		    bpf_ntohs(udp->len) > tot_len - ihl_bytes)
			return PARSE_MALFORMED;
		p->sport = udp->source;
		p->dport = udp->dest;
	}
	return PARSE_OK;
}

#endif

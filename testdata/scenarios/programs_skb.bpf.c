// SPDX-License-Identifier: GPL-2.0
/*
 * skb test runs (issue 4): a tc (sched_cls) program and a socket filter read the __sk_buff fields
 * BPF_PROG_TEST_RUN sets up (from the packet and from the context passed in), write the fields
 * their program type may write and read them back; tc's bpf_redirect verdicts. Results land in
 * `out` (.bss).
 */
#include "scenario.h"

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7

/* One struct, so that the layout of .bss is the declaration order. */
struct {
	s64 tc[32];
	s64 sock[16];
} out;

SEC("tc")
int tc_fields(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	int i = 0;

	out.tc[i++] = skb->len;
	out.tc[i++] = skb->pkt_type;
	out.tc[i++] = skb->mark;
	out.tc[i++] = skb->queue_mapping;
	out.tc[i++] = skb->protocol;
	out.tc[i++] = skb->vlan_present;
	out.tc[i++] = skb->priority;
	out.tc[i++] = skb->ingress_ifindex;
	out.tc[i++] = skb->ifindex;
	out.tc[i++] = skb->tc_index;
	out.tc[i++] = skb->cb[0];
	out.tc[i++] = skb->cb[4];
	out.tc[i++] = skb->hash;
	out.tc[i++] = skb->tc_classid;
	out.tc[i++] = end - data;
	out.tc[i++] = skb->wire_len;
	out.tc[i++] = skb->gso_segs;
	out.tc[i++] = skb->gso_size;
	out.tc[i++] = skb->tstamp;
	/* tc programs may write these */
	skb->mark = skb->mark + 1;
	skb->priority = 9;
	skb->cb[1] = 0x77;
	skb->tc_index = 3;
	skb->tc_classid = 0x10002;
	skb->queue_mapping = 0;
	out.tc[i++] = skb->mark;
	out.tc[i++] = skb->priority;
	out.tc[i++] = skb->cb[1];
	out.tc[i++] = skb->tc_index;
	out.tc[i++] = skb->tc_classid;
	/* bpf_redirect for tc: TC_ACT_REDIRECT, with BPF_F_INGRESS too; any other flag: TC_ACT_SHOT */
	out.tc[i++] = bpf_redirect(1, 0);
	out.tc[i++] = bpf_redirect(1, BPF_F_INGRESS);
	out.tc[i++] = bpf_redirect(1, 2);
	return TC_ACT_OK;
}

SEC("tc")
int tc_redirect(struct __sk_buff *skb)
{
	return bpf_redirect(skb->ifindex, 0);
}

/* A socket filter sees the packet from the network header; it may write only cb[]. Its return
 * value is the number of bytes to keep. */
SEC("socket")
int sock_fields(struct __sk_buff *skb)
{
	int i = 0;

	out.sock[i++] = skb->len;
	out.sock[i++] = skb->protocol;
	out.sock[i++] = skb->pkt_type;
	out.sock[i++] = skb->mark;
	out.sock[i++] = skb->priority;
	out.sock[i++] = skb->ifindex;
	out.sock[i++] = skb->ingress_ifindex;
	out.sock[i++] = skb->cb[0];
	out.sock[i++] = skb->cb[3];
	out.sock[i++] = skb->queue_mapping;
	skb->cb[2] = 5;
	out.sock[i++] = skb->cb[2];
	return skb->len - 4;
}

char LICENSE[] SEC("license") = "GPL";

/**
 * bpf_prog_test_run_skb (net/bpf/test_run.c, v6.18) for tc (sched_cls / sched_act), socket
 * filter, cgroup_skb and lwt programs. The packet is received on `lo` (ifindex 1): eth_type_trans
 * sets the protocol and packet type and pulls the Ethernet header; tc programs (layer 2) get it
 * pushed back, the others see the packet from the network header (skb->len = size - 14) and find
 * the Ethernet header zeroed in data_out. The `__sk_buff` context in carries only the fields the
 * kernel accepts (mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs,
 * gso_size, hwtstamp: anything else non-zero is EINVAL) and the same fields are written back.
 *
 * Context access at run time (the kernel's bpf_convert_ctx_access): 4-byte loads of data,
 * data_end and data_meta yield 64-bit packet pointers; the other fields are kept in the context
 * region; stores are allowed where the kernel's is_valid_access allows them (tc: mark,
 * queue_mapping, priority, tc_index, cb, tc_classid, tstamp; others: cb only).
 * Works in node / browser.
 */
import { BpfError } from '../util/errors.ts';
import { EINVAL, ENODEV } from '../uapi/errno.ts';
import { BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS } from '../uapi/bpf.ts';
import { ETH_HLEN, SKB_SHARED_INFO_BYTES } from '../helpers/impl/xdp.ts';
import type { LoadedProgram } from './program.ts';
import { newRunState, repeatCount, repeatRun, type RunOptions, type RunResult } from './test-run.ts';
import { ctxInit, LOOPBACK_IFINDEX } from './xdp-run.ts';

/** sizeof(struct __sk_buff). */
export const SK_BUFF_BYTES = 192;
/** NET_SKB_PAD + NET_IP_ALIGN on x86-64. */
const SKB_HEADROOM = 64;
const PAGE_SIZE = 4096;
const GSO_MAX_SEGS = 65535;
const GSO_LEGACY_MAX_SIZE = 65536;

/** Offsets in struct __sk_buff (include/uapi/linux/bpf.h). */
export const SKB = {
  len: 0, pkt_type: 4, mark: 8, queue_mapping: 12, protocol: 16, vlan_present: 20, vlan_tci: 24, vlan_proto: 28,
  priority: 32, ingress_ifindex: 36, ifindex: 40, tc_index: 44, cb: 48, hash: 68, tc_classid: 72, data: 76,
  data_end: 80, napi_id: 84, family: 88, remote_ip4: 92, local_ip4: 96, remote_ip6: 100, local_ip6: 116,
  remote_port: 132, local_port: 136, data_meta: 140, flow_keys: 144, tstamp: 152, wire_len: 160, gso_segs: 164,
  sk: 168, gso_size: 176, tstamp_type: 180, hwtstamp: 184,
} as const;
const CB_BYTES = 20;

/** Byte ranges [start, end) of __sk_buff a test run accepts non-zero (convert___skb_to_skb). */
const ACCEPTED: readonly (readonly [number, number])[] = [
  [SKB.mark, SKB.mark + 4], [SKB.priority, SKB.ifindex + 4], [SKB.cb, SKB.cb + CB_BYTES],
  [SKB.tstamp, SKB.gso_segs + 4], [SKB.gso_size, SKB.gso_size + 4], [SKB.hwtstamp, SKB.hwtstamp + 8],
];

/** Writable ranges for tc programs (tc_cls_act_is_valid_access) and the rest (cb only). */
const TC_WRITABLE: readonly (readonly [number, number])[] = [
  [SKB.mark, SKB.mark + 4], [SKB.queue_mapping, SKB.queue_mapping + 4], [SKB.priority, SKB.priority + 4],
  [SKB.tc_index, SKB.tc_index + 4], [SKB.cb, SKB.cb + CB_BYTES], [SKB.tc_classid, SKB.tc_classid + 4],
  [SKB.tstamp, SKB.tstamp + 8],
];
const CB_WRITABLE: readonly (readonly [number, number])[] = [[SKB.cb, SKB.cb + CB_BYTES]];

const inRanges = (ranges: readonly (readonly [number, number])[], off: number, size: number): boolean =>
  ranges.some(([s, e]) => off >= s && off + size <= e);

/** PACKET_HOST / BROADCAST / MULTICAST / OTHERHOST as eth_type_trans decides them on lo (address and broadcast all zero). */
function pktType(dest: Uint8Array): number {
  if (dest.every((b) => b === 0)) return 0;
  return (dest[0]! & 1) !== 0 ? 2 : 3;
}

/** eth_type_trans's protocol, as the big-endian u16 read into a little-endian u32 field. */
function protocolOf(data: Uint8Array): number {
  const proto = (data[12]! << 8) | data[13]!;
  let host: number;
  if (proto >= 0x0600) host = proto;
  else host = data.length >= 16 && data[14] === 0xff && data[15] === 0xff ? 0x0001 : 0x0004; // ETH_P_802_3 / ETH_P_802_2
  return ((host & 0xff) << 8) | (host >> 8);
}

/** The skb test run. */
export function runSkb(prog: LoadedProgram, options: RunOptions): RunResult {
  const name = prog.name;
  const count = repeatCount(options.repeat);
  const data = options.data ?? new Uint8Array(0);
  const maxData = PAGE_SIZE - SKB_HEADROOM - SKB_SHARED_INFO_BYTES;
  if (data.length < ETH_HLEN || data.length > maxData) {
    throw new BpfError(EINVAL, `program '${name}': packet of ${data.length} bytes (skb test runs take ${ETH_HLEN}..${maxData})`);
  }
  const ctxIn = ctxInit(name, options.ctx, SK_BUFF_BYTES);
  const isL2 = prog.type === BPF_PROG_TYPE_SCHED_CLS || prog.type === BPF_PROG_TYPE_SCHED_ACT;
  const cv = ctxIn === undefined ? undefined : new DataView(ctxIn.buffer, ctxIn.byteOffset, ctxIn.byteLength);
  if (cv !== undefined && cv.getUint32(SKB.ifindex, true) > LOOPBACK_IFINDEX) {
    throw new BpfError(ENODEV, `program '${name}': no device with ifindex ${cv.getUint32(SKB.ifindex, true)} (tsbpf has only lo, ifindex 1)`);
  }
  const len = isL2 ? data.length : data.length - ETH_HLEN;
  // convert___skb_to_skb: wire_len (qdisc_skb_cb pkt_len) is the context's, or the packet length
  // when the context leaves it 0; without a context nothing sets it and it reads 0.
  let wireLen = ctxIn === undefined ? 0 : len;
  if (ctxIn !== undefined && cv !== undefined) {
    for (let i = 0; i < SK_BUFF_BYTES; i++) {
      if (ctxIn[i] !== 0 && !inRanges(ACCEPTED, i, 1)) throw new BpfError(EINVAL, `program '${name}': __sk_buff byte ${i} must be zero in a test run`);
    }
    const w = cv.getUint32(SKB.wire_len, true);
    if (w !== 0) {
      if (w < len || w > GSO_LEGACY_MAX_SIZE) throw new BpfError(EINVAL, `program '${name}': wire_len ${w} is below the packet length or above ${GSO_LEGACY_MAX_SIZE}`);
      wireLen = w;
    }
    if (cv.getUint32(SKB.gso_segs, true) > GSO_MAX_SEGS) throw new BpfError(EINVAL, `program '${name}': gso_segs above ${GSO_MAX_SEGS}`);
  }

  const mem = prog.runtime.memory;
  const pkt = mem.alloc(SKB_HEADROOM + data.length + SKB_SHARED_INFO_BYTES, { kind: 'packet', name: `${name}.skb_data` });
  const ctx = mem.alloc(SK_BUFF_BYTES, { kind: 'ctx', name: `${name}.__sk_buff` });
  try {
    pkt.bytes().set(data, SKB_HEADROOM);
    const dataPtr = pkt.ptr + BigInt(SKB_HEADROOM + (isL2 ? 0 : ETH_HLEN));
    const dataEnd = dataPtr + BigInt(len);
    const v = ctx.view();
    if (ctxIn !== undefined) ctx.bytes().set(ctxIn);
    v.setUint32(SKB.len, len, true);
    v.setUint32(SKB.pkt_type, pktType(data.subarray(0, 6)), true);
    v.setUint32(SKB.protocol, protocolOf(data), true);
    v.setUint32(SKB.ifindex, LOOPBACK_IFINDEX, true);
    v.setUint32(SKB.wire_len, wireLen, true);
    // The test run's socket: family and addresses from the IPv4 / IPv6 header when it fits.
    const proto = (data[12]! << 8) | data[13]!;
    const l3 = data.subarray(ETH_HLEN);
    if (proto === 0x0800) {
      v.setUint32(SKB.family, 2, true);
      if (l3.length >= 20) {
        ctx.bytes().set(l3.subarray(16, 20), SKB.remote_ip4);
        ctx.bytes().set(l3.subarray(12, 16), SKB.local_ip4);
      }
    } else if (proto === 0x86dd) {
      v.setUint32(SKB.family, 10, true);
      if (l3.length >= 40) {
        ctx.bytes().set(l3.subarray(24, 40), SKB.remote_ip6);
        ctx.bytes().set(l3.subarray(8, 24), SKB.local_ip6);
      }
    }
    const writable = isL2 ? TC_WRITABLE : CB_WRITABLE;
    ctx.fields = {
      load: (off, size) => {
        if (size !== 4) return undefined;
        if (off === SKB.data || off === SKB.data_meta) return dataPtr;
        if (off === SKB.data_end) return dataEnd;
        return undefined;
      },
      store: (off, size, value) => {
        if (!inRanges(writable, off, size)) return false;
        const dv = ctx.view();
        if (size === 8) dv.setBigUint64(off, BigInt.asUintN(64, value), true);
        else if (size === 4) dv.setUint32(off, Number(value & 0xffff_ffffn), true);
        else if (size === 2) dv.setUint16(off, Number(value & 0xffffn), true);
        else dv.setUint8(off, Number(value & 0xffn));
        return true;
      },
    };
    prog.runtime.packets.set(ctx.ptr, { dataPtr, lenBytes: len });
    const state = newRunState(prog, options);
    let result;
    try {
      result = repeatRun(prog, state, ctx.ptr, count);
    } finally {
      prog.runtime.packets.delete(ctx.ptr);
    }
    const out = mem.u8().slice(pkt.offset + SKB_HEADROOM, pkt.offset + SKB_HEADROOM + data.length);
    // Non-L2 programs: the kernel pushes back a zeroed Ethernet header before copying data out.
    if (!isL2) out.fill(0, 0, ETH_HLEN);
    let ctxOut: Uint8Array | undefined;
    if (ctxIn !== undefined) {
      // convert_skb_to___skb: these fields come back, the rest stays as given.
      ctxOut = ctxIn.slice();
      const o = new DataView(ctxOut.buffer);
      const r = ctx.view();
      for (const off of [SKB.mark, SKB.priority, SKB.ingress_ifindex, SKB.ifindex, SKB.wire_len, SKB.gso_segs]) o.setUint32(off, r.getUint32(off, true), true);
      o.setBigUint64(SKB.tstamp, r.getBigUint64(SKB.tstamp, true), true);
      o.setBigUint64(SKB.hwtstamp, r.getBigUint64(SKB.hwtstamp, true), true);
      ctxOut.set(ctx.bytes().subarray(SKB.cb, SKB.cb + CB_BYTES), SKB.cb);
    }
    return { ...result, dataOut: out, ...(ctxOut !== undefined ? { ctxOut } : {}), ...(state.redirect !== undefined ? { redirect: state.redirect } : {}) };
  } finally {
    mem.free(ctx);
    mem.free(pkt);
  }
}

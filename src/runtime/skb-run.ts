/**
 * bpf_prog_test_run_skb (net/bpf/test_run.c, v6.18) for tc (sched_cls / sched_act), socket
 * filter, cgroup_skb and lwt programs. The packet is received on `lo` (ifindex 1), or on the
 * device of the runtime's table (Runtime option `netdevs`) the context's `ifindex` names when above
 * 1 (ENODEV for none); tsbpf's devices have no hardware address, so eth_type_trans decides the
 * packet type as on `lo`. eth_type_trans sets the protocol and packet type and pulls the Ethernet header; tc programs (layer 2) get it
 * pushed back, the others see the packet from the network header (skb->len = size - 14) and find
 * the Ethernet header zeroed in data_out. The `__sk_buff` context in carries only the fields the
 * kernel accepts (mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs,
 * gso_size, hwtstamp: anything else non-zero is EINVAL) and the same fields are written back.
 *
 * Context access at run time (the kernel's bpf_convert_ctx_access): 4-byte loads of data,
 * data_end and data_meta yield 64-bit packet pointers; the other fields are kept in the context
 * region; stores are allowed where the kernel's is_valid_access allows them (tc: mark,
 * queue_mapping, priority, tc_index, cb, tc_classid, tstamp; others: cb only). The packet
 * pointers are also kept in linear memory (ctx-layouts.ts), so that the JIT reads every verified
 * __sk_buff load in line (skbCtxLoad). The regions are kept by the program from run to run and
 * re-initialised as the kernel's fresh allocation would be. Works in node / browser.
 */
import type { RedirectRecord } from '../helpers/impl/run-state.ts';
import { BpfError, InternalError } from '../util/errors.ts';
import type { PacketView } from '../vm/ld-abs.ts';
import type { Region } from '../vm/memory.ts';
import type { CtxLayout } from './ctx-layouts.ts';
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
function pktType(data: Uint8Array): number {
  let any = 0;
  for (let i = 0; i < 6; i++) any |= data[i]!;
  if (any === 0) return 0;
  return (data[0]! & 1) !== 0 ? 2 : 3;
}

/** Copies `n` bytes from `src` at `from` to `dst` at `to` (no subarray: a view costs more than a few bytes). */
function copyBytes(dst: Uint8Array, to: number, src: Uint8Array, from: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
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
  const data = options.data ?? EMPTY;
  if (data.length < ETH_HLEN || data.length > MAX_DATA) {
    throw new BpfError(EINVAL, `program '${name}': packet of ${data.length} bytes (skb test runs take ${ETH_HLEN}..${MAX_DATA})`);
  }
  const ctxIn = ctxInit(name, options.ctx, SK_BUFF_BYTES);
  const isL2 = prog.type === BPF_PROG_TYPE_SCHED_CLS || prog.type === BPF_PROG_TYPE_SCHED_ACT;
  const cv = ctxIn === undefined ? undefined : new DataView(ctxIn.buffer, ctxIn.byteOffset, ctxIn.byteLength);
  // The device the packet is received on: lo, or (ifindex above 1) any device of the runtime's table.
  let ifindex = LOOPBACK_IFINDEX;
  if (cv !== undefined && cv.getUint32(SKB.ifindex, true) > LOOPBACK_IFINDEX) {
    ifindex = cv.getUint32(SKB.ifindex, true);
    if (prog.runtime.netdevs.byIndex(ifindex) === undefined) throw new BpfError(ENODEV, `program '${name}': no device with ifindex ${ifindex}`);
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
  const bufs = SkbBuffers.take(prog);
  try {
    const pkt = bufs.packet(SKB_HEADROOM + data.length + SKB_SHARED_INFO_BYTES);
    mem.u8().set(data, pkt.offset + SKB_HEADROOM);
    const dataPtr = pkt.ptr + BigInt(SKB_HEADROOM + (isL2 ? 0 : ETH_HLEN));
    const dataEnd = dataPtr + BigInt(len);
    bufs.setPacket(dataPtr, dataEnd, len, isL2 ? TC_WRITABLE : CB_WRITABLE);
    const ctx = bufs.ctx;
    const b = mem.u8();
    b.fill(0, ctx.offset, ctx.end);
    if (ctxIn !== undefined) b.set(ctxIn, ctx.offset);
    const v = mem.dataView();
    const at = ctx.offset;
    v.setUint32(at + SKB.len, len, true);
    v.setUint32(at + SKB.pkt_type, pktType(data), true);
    v.setUint32(at + SKB.protocol, protocolOf(data), true);
    v.setUint32(at + SKB.ifindex, ifindex, true);
    v.setUint32(at + SKB.wire_len, wireLen, true);
    // The test run's socket: family and addresses from the IPv4 / IPv6 header when it fits.
    const proto = (data[12]! << 8) | data[13]!;
    const l3 = ETH_HLEN;
    const l3Len = data.length - ETH_HLEN;
    if (proto === 0x0800) {
      v.setUint32(at + SKB.family, 2, true);
      if (l3Len >= 20) {
        copyBytes(b, at + SKB.remote_ip4, data, l3 + 16, 4);
        copyBytes(b, at + SKB.local_ip4, data, l3 + 12, 4);
      }
    } else if (proto === 0x86dd) {
      v.setUint32(at + SKB.family, 10, true);
      if (l3Len >= 40) {
        copyBytes(b, at + SKB.remote_ip6, data, l3 + 24, 16);
        copyBytes(b, at + SKB.local_ip6, data, l3 + 8, 16);
      }
    }
    const rt = prog.runtime;
    const state = newRunState(prog, options, undefined, ifindex);
    const layouts = rt.ctxLayouts;
    layouts.push(bufs.layout);
    let result;
    try {
      result = repeatRun(prog, state, ctx.ptr, count);
    } finally {
      layouts.pop();
    }
    const out = mem.u8().slice(pkt.offset + SKB_HEADROOM, pkt.offset + SKB_HEADROOM + data.length);
    // Non-L2 programs: the kernel pushes back a zeroed Ethernet header before copying data out.
    if (!isL2) out.fill(0, 0, ETH_HLEN);
    const r: { retval: number; durationNs: number; dataOut: Uint8Array; ctxOut?: Uint8Array; redirect?: RedirectRecord } = { retval: result.retval, durationNs: result.durationNs, dataOut: out };
    if (ctxIn !== undefined) {
      // convert_skb_to___skb: these fields come back, the rest stays as given.
      const ctxOut = ctxIn.slice();
      const o = new DataView(ctxOut.buffer);
      const rv = mem.dataView();
      for (const off of COPIED_BACK) o.setUint32(off, rv.getUint32(at + off, true), true);
      o.setBigUint64(SKB.tstamp, rv.getBigUint64(at + SKB.tstamp, true), true);
      o.setBigUint64(SKB.hwtstamp, rv.getBigUint64(at + SKB.hwtstamp, true), true);
      ctxOut.set(mem.u8().subarray(at + SKB.cb, at + SKB.cb + CB_BYTES), SKB.cb);
      r.ctxOut = ctxOut;
    }
    if (state.redirect !== undefined) r.redirect = state.redirect;
    return r;
  } finally {
    bufs.done(prog);
  }
}

const EMPTY = new Uint8Array(0);
/** The largest packet: the page less headroom and tailroom. */
const MAX_DATA = PAGE_SIZE - SKB_HEADROOM - SKB_SHARED_INFO_BYTES;
/** The u32 fields convert_skb_to___skb writes back. */
const COPIED_BACK = [SKB.mark, SKB.priority, SKB.ingress_ifindex, SKB.ifindex, SKB.wire_len, SKB.gso_segs] as const;
/** Where the converted packet pointers are in the values region (u64 words). */
const VALUE_DATA = 0;
const VALUE_DATA_END = 8;

/**
 * Where the value of the __sk_buff load of `size` bytes at `off` is during a test run (what the
 * region's field hook gives, for the JIT to read in line): the 4-byte loads of data and data_meta
 * (the packet start: test runs have no metadata) and of data_end read 64-bit packet pointers from
 * the converted values; every other load reads the context's own bytes at `off`.
 */
export function skbCtxLoad(off: number, size: number): { readonly converted: boolean; readonly offset: number; readonly size: 1 | 2 | 4 | 8 } | undefined {
  if (!Number.isInteger(off) || off < 0 || off + size > SK_BUFF_BYTES || (size !== 1 && size !== 2 && size !== 4 && size !== 8)) return undefined;
  if (size === 4 && (off === SKB.data || off === SKB.data_meta)) return { converted: true, offset: VALUE_DATA, size: 8 };
  if (size === 4 && off === SKB.data_end) return { converted: true, offset: VALUE_DATA_END, size: 8 };
  return { converted: false, offset: off, size };
}

/**
 * The regions of an skb test run: the packet buffer (one page reserved, the region cut to the
 * run's size), the __sk_buff and the converted packet pointers. A program keeps one set between
 * runs (LoadedProgram.runBuffers); a run that finds it in use gets its own, freed afterwards.
 */
class SkbBuffers {
  #pkt: Region;
  readonly ctx: Region;
  readonly values: Region;
  readonly layout: CtxLayout;
  #dataPtr = 0n;
  #dataEnd = 0n;
  #writable: readonly (readonly [number, number])[] = CB_WRITABLE;
  readonly #view = { dataPtr: 0n, lenBytes: 0 };
  readonly #packets: Map<bigint, PacketView>;
  busy = false;

  private constructor(prog: LoadedProgram) {
    const mem = prog.runtime.memory;
    this.#pkt = mem.alloc(PAGE_SIZE, { kind: 'packet', name: `${prog.name}.skb_data` });
    const ctx = mem.alloc(SK_BUFF_BYTES, { kind: 'ctx', name: `${prog.name}.__sk_buff` });
    this.ctx = ctx;
    this.values = mem.alloc(16, { kind: 'scratch', name: `${prog.name}.__sk_buff.converted`, writable: false });
    ctx.fields = {
      load: (off, size) => {
        if (size !== 4) return undefined;
        if (off === SKB.data || off === SKB.data_meta) return this.#dataPtr;
        if (off === SKB.data_end) return this.#dataEnd;
        return undefined;
      },
      store: (off, size, value) => {
        if (!inRanges(this.#writable, off, size)) return false;
        const dv = ctx.view();
        if (size === 8) dv.setBigUint64(off, BigInt.asUintN(64, value), true);
        else if (size === 4) dv.setUint32(off, Number(value & 0xffff_ffffn), true);
        else if (size === 2) dv.setUint16(off, Number(value & 0xffffn), true);
        else dv.setUint8(off, Number(value & 0xffn));
        return true;
      },
    };
    this.layout = { kind: 'skb', ctx: ctx.ptr, values: this.values.offset, bytes: ctx.offset };
    // LD_ABS / LD_IND find the packet through the context (Runtime.packets): registered while the
    // buffers live, the view updated by each run (no map update per run).
    this.#packets = prog.runtime.packets;
    this.#packets.set(ctx.ptr, this.#view);
  }

  /** The program's buffers, or fresh ones when those are in use; marked busy. */
  static take(prog: LoadedProgram): SkbBuffers {
    const kept = prog.runBuffers;
    let b: SkbBuffers;
    if (kept instanceof SkbBuffers && !kept.busy) b = kept;
    else {
      b = new SkbBuffers(prog);
      if (kept === undefined) prog.runBuffers = b;
    }
    b.busy = true;
    return b;
  }

  /**
   * The packet region of this run: `size` bytes, zero-filled (bpf_test_init's kzalloc), at the
   * start of the reserved page.
   */
  packet(size: number): Region {
    const pkt = this.#pkt;
    if (pkt.sizeBytes === size) {
      pkt.space.u8().fill(0, pkt.offset, pkt.end);
      return pkt;
    }
    const next = pkt.space.reshape(pkt, size);
    if (next === undefined) throw new InternalError(`skb packet of ${size} bytes does not fit its ${PAGE_SIZE}-byte buffer`);
    this.#pkt = next;
    return next;
  }

  /** This run's packet (the field hook's pointers, the converted values, LD_ABS's view) and writable fields. */
  setPacket(dataPtr: bigint, dataEnd: bigint, len: number, writable: readonly (readonly [number, number])[]): void {
    this.#dataPtr = dataPtr;
    this.#dataEnd = dataEnd;
    this.#view.dataPtr = dataPtr;
    this.#view.lenBytes = len;
    this.#writable = writable;
    const dv = this.values.space.dataView();
    dv.setBigUint64(this.values.offset + VALUE_DATA, dataPtr, true);
    dv.setBigUint64(this.values.offset + VALUE_DATA_END, dataEnd, true);
  }

  /** The run is over: kept buffers wait for the next run, others are freed. */
  done(prog: LoadedProgram): void {
    this.busy = false;
    if (prog.runBuffers !== this) this.free();
  }

  free(): void {
    this.#packets.delete(this.ctx.ptr);
    const mem = this.ctx.space;
    mem.free(this.values);
    mem.free(this.ctx);
    mem.free(this.#pkt);
  }
}

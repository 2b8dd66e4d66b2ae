/**
 * bpf_prog_test_run_xdp (net/bpf/test_run.c, v6.18) without live frames: the packet sits in a
 * 4096-byte frame after XDP_PACKET_HEADROOM (256) bytes, with SKB_DATA_ALIGN(sizeof(struct
 * skb_shared_info)) (320) bytes of tailroom reserved at the end; an `xdp_md` context gives the
 * metadata length (`data`) and the total length (`data_end`); the program sees the device `lo`
 * (ifindex 1, one RX queue) unless the context names it. data_out runs from data_meta to
 * data_end after the program (adjust_head/tail/meta applied); the context written back holds
 * data = metadata length and data_end = packet length.
 *
 * Context loads are converted at run time (the kernel's xdp_convert_ctx_access): a 4-byte load of
 * xdp_md.data / data_end / data_meta yields the 64-bit packet pointer; the other fields read the
 * run's values; stores are refused. The converted values live in linear memory (a u64 per field,
 * kept up to date when helpers move the packet), where the JIT reads them in line for verified
 * programs (wasm-helpers/index.ts); the region's field hook reads the same words for everything
 * else. Works in node / browser.
 */
import type { RunState, XdpBuff } from '../helpers/impl/run-state.ts';
import type { AddressSpace, Region } from '../vm/memory.ts';
import type { Runtime } from './runtime.ts';
import { ETH_HLEN, SKB_SHARED_INFO_BYTES, xdpMetalenInvalid } from '../helpers/impl/xdp.ts';
import { BpfError } from '../util/errors.ts';
import { E2BIG, EINVAL, ENODEV } from '../uapi/errno.ts';
import { BPF_XDP_CPUMAP, BPF_XDP_DEVMAP, XDP_PACKET_HEADROOM } from '../uapi/bpf.ts';
import type { LoadedProgram } from './program.ts';
import { newRunState, repeatCount, repeatRun, type RunOptions, type RunResult } from './test-run.ts';

/** PAGE_SIZE: the XDP test frame. */
export const XDP_FRAME_SZ = 4096;
/** sizeof(struct xdp_md). */
export const XDP_MD_BYTES = 24;
/** The loopback device every test run sees by default. */
export const LOOPBACK_IFINDEX = 1;

/**
 * bpf_ctx_init: a context of `maxBytes`, zero-filled; a longer input must be zero beyond the
 * structure (bpf_check_uarg_tail_zero: E2BIG otherwise, and for more than a page).
 */
export function ctxInit(name: string, ctx: Uint8Array | undefined, maxBytes: number): Uint8Array | undefined {
  if (ctx === undefined) return undefined;
  if (ctx.length > 4096) throw new BpfError(E2BIG, `program '${name}': ctx of ${ctx.length} bytes is larger than a page`);
  for (let i = maxBytes; i < ctx.length; i++) {
    if (ctx[i] !== 0) throw new BpfError(E2BIG, `program '${name}': ctx byte ${i} beyond the ${maxBytes}-byte context is not zero`);
  }
  const out = new Uint8Array(maxBytes);
  out.set(ctx.subarray(0, Math.min(maxBytes, ctx.length)));
  return out;
}

/** The XDP test run. */
export function runXdp(prog: LoadedProgram, options: RunOptions): RunResult {
  const name = prog.name;
  if (prog.expectedAttachType === BPF_XDP_DEVMAP || prog.expectedAttachType === BPF_XDP_CPUMAP) {
    throw new BpfError(EINVAL, `program '${name}': devmap and cpumap XDP programs cannot be test-run without live frames`);
  }
  const count = repeatCount(options.repeat);
  const ctx = ctxInit(name, options.ctx, XDP_MD_BYTES);
  const data = options.data ?? new Uint8Array(0);
  const size = data.length;
  let headroom = XDP_PACKET_HEADROOM;
  let metalen = 0;
  let ingress = LOOPBACK_IFINDEX;
  let rxQueue = 0;
  if (ctx !== undefined) {
    const dv = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
    const [mdData, mdEnd, mdMeta] = [dv.getUint32(0, true), dv.getUint32(4, true), dv.getUint32(8, true)];
    // "There can't be user provided data before the meta data."
    if (mdMeta !== 0 || mdEnd !== size || mdData > mdEnd || xdpMetalenInvalid(mdData)) {
      throw new BpfError(EINVAL, `program '${name}': xdp_md must have data_meta 0, data_end = data size (${size}) and data a valid metadata length`);
    }
    metalen = mdData;
    headroom -= mdData;
  }
  const maxData = XDP_FRAME_SZ - headroom - SKB_SHARED_INFO_BYTES;
  // Larger packets become fragments on the kernel; tsbpf has no multi-buffer XDP.
  if (size < ETH_HLEN || size > maxData) {
    throw new BpfError(EINVAL, `program '${name}': packet of ${size} bytes (XDP test runs take ${ETH_HLEN}..${maxData} bytes here)`);
  }
  if (ctx !== undefined) {
    const dv = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
    ingress = dv.getUint32(12, true);
    rxQueue = dv.getUint32(16, true);
    // xdp_convert_md_to_buff.
    if (dv.getUint32(20, true) !== 0) throw new BpfError(EINVAL, `program '${name}': xdp_md.egress_ifindex must be 0`);
    if (ingress === 0 && rxQueue !== 0) throw new BpfError(EINVAL, `program '${name}': xdp_md.rx_queue_index needs ingress_ifindex`);
    if (ingress === 0) ingress = LOOPBACK_IFINDEX;
    else if (ingress !== LOOPBACK_IFINDEX) throw new BpfError(ENODEV, `program '${name}': no device with ifindex ${ingress} (tsbpf has only lo, ifindex 1)`);
    else if (rxQueue >= 1) throw new BpfError(EINVAL, `program '${name}': lo has 1 RX queue, rx_queue_index ${rxQueue}`);
  }

  const rt = prog.runtime;
  const mem = rt.memory;
  const frame = mem.alloc(XDP_FRAME_SZ, { kind: 'packet', name: `${name}.xdp_frame` });
  const md = mem.alloc(XDP_MD_BYTES, { kind: 'ctx', name: `${name}.xdp_md`, writable: false });
  const converted = mem.alloc(XDP_MD_FIELDS * 8, { kind: 'scratch', name: `${name}.xdp_md.converted`, writable: false });
  const layouts = convertedContexts(rt);
  try {
    frame.bytes().set(data, headroom);
    const x = new ConvertedXdpBuff(frame, converted, headroom, headroom + metalen, headroom + size);
    mem.dataView().setBigUint64(converted.offset + 3 * 8, BigInt(ingress), true);
    mem.dataView().setBigUint64(converted.offset + 4 * 8, BigInt(rxQueue), true);
    // egress_ifindex (word 5) stays 0: only devmap programs have one.
    md.fields = {
      load: (off, sz) => (sz === 4 && off % 4 === 0 && off < XDP_MD_BYTES ? mem.dataView().getBigUint64(converted.offset + off * 2, true) : undefined),
    };
    const state: RunState = newRunState(prog, options, x);
    layouts.push({ ctx: md.ptr, values: converted.offset });
    let result: { retval: number; durationNs: number };
    try {
      result = repeatRun(prog, state, md.ptr, count);
    } finally {
      layouts.pop();
    }
    const { retval, durationNs } = result;
    const dataOut = mem.u8().slice(frame.offset + x.dataMeta, frame.offset + x.dataEnd);
    let ctxOut: Uint8Array | undefined;
    if (ctx !== undefined) {
      ctxOut = ctx.slice();
      const dv = new DataView(ctxOut.buffer);
      dv.setUint32(0, x.data - x.dataMeta, true);
      dv.setUint32(4, x.dataEnd - x.data, true);
    }
    return { retval, durationNs, dataOut, ...(ctxOut !== undefined ? { ctxOut } : {}), ...(state.redirect !== undefined ? { redirect: state.redirect } : {}) };
  } finally {
    mem.free(converted);
    mem.free(md);
    mem.free(frame);
  }
}

/** xdp_md's fields: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex. */
const XDP_MD_FIELDS = 6;

/** An xdp_md context whose fields' converted values are in linear memory (see xdpContextLoads). */
export interface ConvertedXdpMd {
  /** The xdp_md region's pointer. */
  readonly ctx: bigint;
  /** Linear address of the converted values: a u64 per field, in xdp_md's order. */
  readonly values: number;
}

/** The converted contexts of the XDP runs in progress, innermost last, per runtime. */
const converted = new WeakMap<Runtime, ConvertedXdpMd[]>();

function convertedContexts(rt: Runtime): ConvertedXdpMd[] {
  let list = converted.get(rt);
  if (list === undefined) {
    list = [];
    converted.set(rt, list);
  }
  return list;
}

/** The converted context of the innermost XDP test run in progress on `rt`, if any. */
export function currentConvertedXdpMd(rt: Runtime): ConvertedXdpMd | undefined {
  const list = converted.get(rt);
  return list === undefined ? undefined : list[list.length - 1];
}

/**
 * Where the converted value of the xdp_md field load of `size` bytes at `off` is, relative to the
 * converted values: the 4-byte loads of the six fields (the 64-bit packet pointers for data,
 * data_end and data_meta, as xdp_convert_ctx_access gives them); undefined for other loads.
 */
export function xdpConvertedOffset(off: number, size: number): number | undefined {
  return size === 4 && off % 4 === 0 && off >= 0 && off < XDP_MD_BYTES ? off * 2 : undefined;
}

/**
 * The XDP buffer of a test run, keeping the packet pointers the program reads through xdp_md
 * (data, data_end, data_meta) up to date in the converted values whenever a helper moves them.
 */
class ConvertedXdpBuff implements XdpBuff {
  readonly framePtr: bigint;
  readonly frameSz = XDP_FRAME_SZ;
  readonly #mem: AddressSpace;
  readonly #at: number;
  #data = 0;
  #dataEnd = 0;
  #dataMeta = 0;

  constructor(frame: Region, values: Region, dataMeta: number, data: number, dataEnd: number) {
    this.framePtr = frame.ptr;
    this.#mem = values.space;
    this.#at = values.offset;
    this.data = data;
    this.dataEnd = dataEnd;
    this.dataMeta = dataMeta;
  }

  get data(): number { return this.#data; }
  set data(v: number) { this.#data = v; this.#put(0, v); }
  get dataEnd(): number { return this.#dataEnd; }
  set dataEnd(v: number) { this.#dataEnd = v; this.#put(1, v); }
  get dataMeta(): number { return this.#dataMeta; }
  set dataMeta(v: number) { this.#dataMeta = v; this.#put(2, v); }

  #put(word: number, off: number): void {
    this.#mem.dataView().setBigUint64(this.#at + word * 8, this.framePtr + BigInt(off), true);
  }
}

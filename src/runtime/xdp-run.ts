/**
 * bpf_prog_test_run_xdp (net/bpf/test_run.c, v6.18) without live frames: the packet sits in a
 * 4096-byte frame after XDP_PACKET_HEADROOM (256) bytes, with SKB_DATA_ALIGN(sizeof(struct
 * skb_shared_info)) (320) bytes of tailroom reserved at the end; an `xdp_md` context gives the
 * metadata length (`data`) and the total length (`data_end`); the program sees the device `lo`
 * (ifindex 1) unless the context names another device of the runtime's table (Runtime option
 * `netdevs`; each has one RX queue); that device is the run's ingress device (RunState, for
 * BPF_F_EXCLUDE_INGRESS). data_out runs from data_meta to
 * data_end after the program (adjust_head/tail/meta applied); the context written back holds
 * data = metadata length and data_end = packet length.
 *
 * Context loads are converted at run time (the kernel's xdp_convert_ctx_access): a 4-byte load of
 * xdp_md.data / data_end / data_meta yields the 64-bit packet pointer; the other fields read the
 * run's values; stores are refused. The converted values live in linear memory (a u64 per field,
 * kept up to date when helpers move the packet), where the JIT reads them in line for verified
 * programs (wasm-helpers/index.ts); the region's field hook reads the same words for everything
 * else.
 *
 * The regions (frame, xdp_md, converted values) are kept by the program from run to run and
 * re-initialised as the kernel's fresh allocation would be (zeroed headroom and tailroom), so a
 * single run costs no allocation. Works in node / browser.
 */
import type { RedirectRecord, RunState, XdpBuff } from '../helpers/impl/run-state.ts';
import { ADDR_BASE, type AddressSpace, type Region } from '../vm/memory.ts';
import type { CtxLayout } from './ctx-layouts.ts';
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

/** @internal The little-endian u32 at `off` of `b`. */
export function u32le(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

/** @internal Stores `v` as a little-endian u32 at `off` of `b`. */
export function putU32le(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

/** The XDP test run. */
export function runXdp(prog: LoadedProgram, options: RunOptions): RunResult {
  const name = prog.name;
  if (prog.expectedAttachType === BPF_XDP_DEVMAP || prog.expectedAttachType === BPF_XDP_CPUMAP) {
    throw new BpfError(EINVAL, `program '${name}': devmap and cpumap XDP programs cannot be test-run without live frames`);
  }
  const count = repeatCount(options.repeat);
  // A fresh copy: it becomes ctx_out. Fields are read bytewise (a DataView costs more than the run).
  const ctx = ctxInit(name, options.ctx, XDP_MD_BYTES);
  const data = options.data ?? EMPTY;
  const size = data.length;
  let headroom = XDP_PACKET_HEADROOM;
  let metalen = 0;
  let ingress = LOOPBACK_IFINDEX;
  let rxQueue = 0;
  if (ctx !== undefined) {
    const mdData = u32le(ctx, 0);
    // "There can't be user provided data before the meta data."
    if (u32le(ctx, 8) !== 0 || u32le(ctx, 4) !== size || mdData > size || xdpMetalenInvalid(mdData)) {
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
    ingress = u32le(ctx, 12);
    rxQueue = u32le(ctx, 16);
    // xdp_convert_md_to_buff: any device of the namespace (here the runtime's table), its RX queues.
    if (u32le(ctx, 20) !== 0) throw new BpfError(EINVAL, `program '${name}': xdp_md.egress_ifindex must be 0`);
    if (ingress === 0 && rxQueue !== 0) throw new BpfError(EINVAL, `program '${name}': xdp_md.rx_queue_index needs ingress_ifindex`);
    if (ingress === 0) ingress = LOOPBACK_IFINDEX;
    else {
      const dev = prog.runtime.netdevs.byIndex(ingress);
      if (dev === undefined) throw new BpfError(ENODEV, `program '${name}': no device with ifindex ${ingress}`);
      if (rxQueue >= NETDEV_RX_QUEUES) throw new BpfError(EINVAL, `program '${name}': ${dev.name} has ${NETDEV_RX_QUEUES} RX queue, rx_queue_index ${rxQueue}`);
    }
  }

  const rt = prog.runtime;
  const mem = rt.memory;
  const bufs = XdpBuffers.take(prog);
  try {
    // bpf_test_init: a zeroed frame holding the packet after the headroom (the frame is reused
    // from run to run, so what the last run left around the packet is cleared).
    const u8 = mem.u8();
    const at = bufs.frame.offset;
    u8.fill(0, at, at + headroom);
    u8.set(data, at + headroom);
    u8.fill(0, at + headroom + size, at + XDP_FRAME_SZ);
    const x = bufs.buff;
    x.reset(headroom, headroom + metalen, headroom + size);
    const dv = mem.dataView();
    // u64 words: the high halves stay 0.
    dv.setUint32(bufs.layout.values + 3 * 8, ingress, true);
    dv.setUint32(bufs.layout.values + 4 * 8, rxQueue, true);
    // egress_ifindex (word 5) stays 0: only devmap programs have one.
    const state: RunState = newRunState(prog, options, x, ingress);
    const layouts = rt.ctxLayouts;
    layouts.push(bufs.layout);
    let result: { retval: number; durationNs: number };
    try {
      result = repeatRun(prog, state, bufs.md.ptr, count);
    } finally {
      layouts.pop();
    }
    const dataOut = mem.u8().slice(at + x.dataMeta, at + x.dataEnd);
    const out: { retval: number; durationNs: number; dataOut: Uint8Array; ctxOut?: Uint8Array; redirect?: RedirectRecord } = { retval: result.retval, durationNs: result.durationNs, dataOut };
    if (ctx !== undefined) {
      putU32le(ctx, 0, x.data - x.dataMeta);
      putU32le(ctx, 4, x.dataEnd - x.data);
      out.ctxOut = ctx;
    }
    if (state.redirect !== undefined) out.redirect = state.redirect;
    return out;
  } finally {
    bufs.done(prog);
  }
}

const EMPTY = new Uint8Array(0);
/** The high u32 of every BPF pointer (ADDR_BASE is 2^32). */
const ADDR_BASE_HIGH = Number(ADDR_BASE >> 32n);

/** RX queues of every device (real_num_rx_queues): tsbpf's devices have one, as `lo` does. */
const NETDEV_RX_QUEUES = 1;

/**
 * The regions of an XDP test run: the frame, the (read-only) xdp_md and its converted values. A
 * program keeps one set between runs (LoadedProgram.runBuffers); a run that finds it in use (a
 * run inside a run) gets its own, freed afterwards.
 */
class XdpBuffers {
  readonly frame: Region;
  readonly md: Region;
  readonly values: Region;
  readonly buff: ConvertedXdpBuff;
  readonly layout: CtxLayout;
  busy = false;

  private constructor(prog: LoadedProgram) {
    const mem = prog.runtime.memory;
    const name = prog.name;
    this.frame = mem.alloc(XDP_FRAME_SZ, { kind: 'packet', name: `${name}.xdp_frame` });
    this.md = mem.alloc(XDP_MD_BYTES, { kind: 'ctx', name: `${name}.xdp_md`, writable: false });
    const values = mem.alloc(XDP_MD_FIELDS * 8, { kind: 'scratch', name: `${name}.xdp_md.converted`, writable: false });
    this.values = values;
    this.md.fields = {
      load: (off, sz) => (sz === 4 && off % 4 === 0 && off < XDP_MD_BYTES ? mem.dataView().getBigUint64(values.offset + off * 2, true) : undefined),
    };
    this.buff = new ConvertedXdpBuff(this.frame, values);
    this.layout = { kind: 'xdp', ctx: this.md.ptr, values: values.offset, bytes: this.md.offset };
  }

  /** The program's buffers, or fresh ones when those are in use; marked busy. */
  static take(prog: LoadedProgram): XdpBuffers {
    const kept = prog.runBuffers;
    let b: XdpBuffers;
    if (kept instanceof XdpBuffers && !kept.busy) b = kept;
    else {
      b = new XdpBuffers(prog);
      if (kept === undefined) prog.runBuffers = b;
    }
    b.busy = true;
    return b;
  }

  /** The run is over: kept buffers wait for the next run, others are freed. */
  done(prog: LoadedProgram): void {
    this.busy = false;
    if (prog.runBuffers !== this) this.free();
  }

  free(): void {
    const mem = this.frame.space;
    mem.free(this.values);
    mem.free(this.md);
    mem.free(this.frame);
  }
}

/** xdp_md's fields: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex. */
const XDP_MD_FIELDS = 6;

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
  /** The frame's linear offset: a packet pointer is ADDR_BASE (2^32) + offset, offset below 2^32. */
  readonly #frameOffset: number;
  #data = 0;
  #dataEnd = 0;
  #dataMeta = 0;

  constructor(frame: Region, values: Region) {
    this.framePtr = frame.ptr;
    this.#mem = values.space;
    this.#at = values.offset;
    this.#frameOffset = frame.offset;
  }

  /** A new run's packet: offsets from the frame start. */
  reset(dataMeta: number, data: number, dataEnd: number): void {
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

  /** Word `word` of the converted values = the packet pointer at frame offset `off`, as two u32 halves (no bigint per store). */
  #put(word: number, off: number): void {
    const dv = this.#mem.dataView();
    const at = this.#at + word * 8;
    dv.setUint32(at, this.#frameOffset + off, true);
    dv.setUint32(at + 4, ADDR_BASE_HIGH, true);
  }
}

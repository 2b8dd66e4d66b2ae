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
 * run's values; stores are refused. Works in node / browser.
 */
import type { RunState, XdpBuff } from '../helpers/impl/run-state.ts';
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

  const mem = prog.runtime.memory;
  const frame = mem.alloc(XDP_FRAME_SZ, { kind: 'packet', name: `${name}.xdp_frame` });
  const md = mem.alloc(XDP_MD_BYTES, { kind: 'ctx', name: `${name}.xdp_md`, writable: false });
  try {
    frame.bytes().set(data, headroom);
    const x: XdpBuff = { framePtr: frame.ptr, frameSz: XDP_FRAME_SZ, dataMeta: headroom, data: headroom + metalen, dataEnd: headroom + size };
    const fields = [
      () => frame.ptr + BigInt(x.data),
      () => frame.ptr + BigInt(x.dataEnd),
      () => frame.ptr + BigInt(x.dataMeta),
      () => BigInt(ingress),
      () => BigInt(rxQueue),
      () => 0n, // egress_ifindex: only devmap programs have one
    ];
    md.fields = {
      load: (off, sz) => (sz === 4 && off % 4 === 0 ? fields[off / 4]?.() : undefined),
    };
    const state: RunState = newRunState(prog, options, x);
    const { retval, durationNs } = repeatRun(prog, state, md.ptr, count);
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
    mem.free(md);
    mem.free(frame);
  }
}

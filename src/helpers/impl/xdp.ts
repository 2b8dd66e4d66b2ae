/**
 * XDP helpers over the run's xdp_buff (net/core/filter.c, v6.18): bpf_xdp_adjust_head,
 * bpf_xdp_adjust_tail, bpf_xdp_adjust_meta, the byte-access helpers (bpf_xdp_get_buff_len,
 * bpf_xdp_load_bytes, bpf_xdp_store_bytes), and the redirect helpers (bpf_redirect for XDP and
 * for tc, bpf_redirect_map), which only record the request: nothing is transmitted in a test run.
 * Works in node / browser.
 */
import type { HelperFn } from '../../vm/abi.ts';
import { ADDR_BASE } from '../../vm/memory.ts';
import { RunError } from '../../util/errors.ts';
import { EACCES, EFAULT, EINVAL } from '../../uapi/errno.ts';
import {
  BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_F_INGRESS, TC_ACT_REDIRECT, TC_ACT_SHOT, XDP_ABORTED,
  XDP_REDIRECT, XDP_TX,
} from '../../uapi/bpf.ts';
import { s32n, u64 } from '../../util/u64.ts';
import { DevMapBase } from '../../maps/devmap.ts';
import { LOOPBACK } from '../../maps/netdev.ts';
import { mapArg } from './map.ts';
import { readMem, writeMem } from './memory-access.ts';
import type { RunBinding, XdpBuff } from './run-state.ts';

/** sizeof(struct xdp_frame) on 64-bit kernels: the head of the frame adjust_head may not enter. */
export const XDP_FRAME_BYTES = 40;
/** ETH_HLEN: a packet keeps at least an Ethernet header. */
export const ETH_HLEN = 14;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64: tailroom reserved at the frame end. */
export const SKB_SHARED_INFO_BYTES = 320;
/** BPF_F_REDIRECT_INTERNAL: a kernel-internal flag refused from programs. */
const BPF_F_REDIRECT_INTERNAL = 1n << 31n;

const NEG = (errno: number): bigint => u64(BigInt(-errno));

/** xdp_metalen_invalid(): metadata must be a multiple of 4 bytes and fit skb_shared_info.meta_len (u8). */
export function xdpMetalenInvalid(metalen: number): boolean {
  return metalen % 4 !== 0 || metalen > 255;
}

/**
 * bpf_xdp_pointer()'s checks for [offset, offset + len) of the packet (from data): -EFAULT when
 * offset or len exceeds 0xffff, -EINVAL when the range ends past xdp_get_buff_len() (frames here
 * have no fragments, so that is data_end - data); 0 when the range is valid.
 */
export function xdpRangeError(x: XdpBuff, offset: number, len: number): number {
  if (offset > 0xffff || len > 0xffff) return EFAULT;
  if (offset + len > x.dataEnd - x.data) return EINVAL;
  return 0;
}

/** The helpers that move the XDP buffer's boundaries, and those that read and write its bytes. */
export function xdpHelpers(
  binding: RunBinding,
): Record<'adjustHead' | 'adjustTail' | 'adjustMeta' | 'getBuffLen' | 'loadBytes' | 'storeBytes', HelperFn> {
  const buff = (insnIdx: number): XdpBuff => {
    const x = binding.run().xdp;
    if (x === undefined) throw new RunError(`XDP helper called outside an XDP run (insn ${insnIdx})`, insnIdx, EINVAL);
    return x;
  };
  return {
    /** bpf_xdp_adjust_head(xdp, int offset): data moves by offset, the metadata moves with it. */
    adjustHead: (env, _ctx, offset) => {
      const x = buff(env.insnIdx);
      const off = Number(s32n(offset));
      const metalen = x.data - x.dataMeta;
      const data = x.data + off;
      if (data < XDP_FRAME_BYTES + metalen || data > x.dataEnd - ETH_HLEN) return NEG(EINVAL);
      if (metalen > 0) {
        const base = Number(x.framePtr - ADDR_BASE);
        env.memory.u8().copyWithin(base + x.dataMeta + off, base + x.dataMeta, base + x.data);
      }
      x.dataMeta += off;
      x.data = data;
      return 0n;
    },
    /** bpf_xdp_adjust_tail(xdp, int offset): data_end moves; grown bytes are zeroed. */
    adjustTail: (env, _ctx, offset) => {
      const x = buff(env.insnIdx);
      const off = Number(s32n(offset));
      const dataEnd = x.dataEnd + off;
      if (dataEnd > x.frameSz - SKB_SHARED_INFO_BYTES) return NEG(EINVAL);
      if (dataEnd < x.data + ETH_HLEN) return NEG(EINVAL);
      if (off > 0) {
        const base = Number(x.framePtr - ADDR_BASE);
        env.memory.u8().fill(0, base + x.dataEnd, base + dataEnd);
      }
      x.dataEnd = dataEnd;
      return 0n;
    },
    /** bpf_xdp_adjust_meta(xdp, int offset): data_meta moves within [frame head, data]. */
    adjustMeta: (env, _ctx, offset) => {
      const x = buff(env.insnIdx);
      const meta = x.dataMeta + Number(s32n(offset));
      if (meta < XDP_FRAME_BYTES || meta > x.data) return NEG(EINVAL);
      if (xdpMetalenInvalid(x.data - meta)) return NEG(EACCES);
      x.dataMeta = meta;
      return 0n;
    },
    /** u64 bpf_xdp_get_buff_len(xdp): the linear part plus the fragments (none here). */
    getBuffLen: (env) => {
      const x = buff(env.insnIdx);
      return BigInt(x.dataEnd - x.data);
    },
    /** long bpf_xdp_load_bytes(xdp, u32 offset, void *buf, u32 len): packet bytes to buf. */
    loadBytes: (env, _ctx, offset, buf, len) => {
      const x = buff(env.insnIdx);
      const off = Number(offset & 0xffff_ffffn);
      const n = Number(len & 0xffff_ffffn);
      const err = xdpRangeError(x, off, n);
      if (err !== 0) return NEG(err);
      const src = x.framePtr + BigInt(x.data + off);
      writeMem(env.memory, buf, n, env.insnIdx).set(readMem(env.memory, src, n, env.insnIdx).slice());
      return 0n;
    },
    /** long bpf_xdp_store_bytes(xdp, u32 offset, const void *buf, u32 len): buf into the packet. */
    storeBytes: (env, _ctx, offset, buf, len) => {
      const x = buff(env.insnIdx);
      const off = Number(offset & 0xffff_ffffn);
      const n = Number(len & 0xffff_ffffn);
      const err = xdpRangeError(x, off, n);
      if (err !== 0) return NEG(err);
      const dst = x.framePtr + BigInt(x.data + off);
      writeMem(env.memory, dst, n, env.insnIdx).set(readMem(env.memory, buf, n, env.insnIdx).slice());
      return 0n;
    },
  };
}

/** The flags bpf_redirect_map takes for a devmap besides the fallback action. */
const DEVMAP_FLAGS = BigInt(BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);

/** bpf_redirect for XDP (bpf_xdp_redirect), for tc (bpf_redirect), and bpf_redirect_map (XDP). */
export function redirectHelpers(binding: RunBinding): Record<'xdpRedirect' | 'tcRedirect' | 'redirectMap', HelperFn> {
  return {
    xdpRedirect: (_env, ifindex, flags) => {
      if (flags !== 0n) return BigInt(XDP_ABORTED);
      binding.run().redirect = { kind: 'ifindex', target: Number(ifindex & 0xffff_ffffn), flags };
      return BigInt(XDP_REDIRECT);
    },
    tcRedirect: (_env, ifindex, flags) => {
      if ((flags & (~BigInt(BPF_F_INGRESS) | BPF_F_REDIRECT_INTERNAL)) !== 0n) return BigInt(TC_ACT_SHOT);
      binding.run().redirect = { kind: 'ifindex', target: Number(ifindex & 0xffff_ffffn), flags };
      return BigInt(TC_ACT_REDIRECT);
    },
    /**
     * long bpf_redirect_map(map, u64 key, u64 flags): the low two bits of flags are the action
     * returned when the key (truncated to u32) is not in the map; devmaps also take
     * BPF_F_BROADCAST (XDP_REDIRECT to every entry, whatever the key) and BPF_F_EXCLUDE_INGRESS;
     * any other flag is XDP_ABORTED. The redirect is recorded with its target device(s); a miss
     * clears the record, as the kernel clears its redirect state so that the last call wins.
     */
    redirectMap: (env, mapPtr, key, flags) => {
      const map = mapArg(binding, mapPtr, env.insnIdx);
      // The verifier admits devmaps, cpumaps and xskmaps; tsbpf creates only the first (so only
      // an unverified program gets here with another map).
      if (!(map instanceof DevMapBase)) {
        throw new RunError(`bpf_redirect_map: map '${map.name}' is not a devmap (insn ${env.insnIdx})`, env.insnIdx, EINVAL);
      }
      const actionMask = BigInt(XDP_TX); // XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX = 3
      if ((flags & ~(actionMask | DEVMAP_FLAGS)) !== 0n) return BigInt(XDP_ABORTED);
      const k = Number(key & 0xffff_ffffn);
      const run = binding.run();
      const ifindex = map.targetOf(k);
      const broadcast = (flags & BigInt(BPF_F_BROADCAST)) !== 0n;
      if (ifindex === undefined && !broadcast) {
        run.redirect = undefined;
        return flags & actionMask;
      }
      if (broadcast) {
        const ingress = run.ingressIfindex ?? LOOPBACK.ifindex;
        const exclude = (flags & BigInt(BPF_F_EXCLUDE_INGRESS)) !== 0n;
        const ifindexes = map.targets().filter((i) => !exclude || i !== ingress);
        run.redirect = { kind: 'map', target: k, flags, map: map.name, ifindexes };
      } else {
        run.redirect = { kind: 'map', target: k, flags, map: map.name, ifindex: ifindex! };
      }
      return BigInt(XDP_REDIRECT);
    },
  };
}

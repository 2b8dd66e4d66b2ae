/**
 * Which context fields a program type may read or write, and what a read yields: the kernel's
 * <type>_is_valid_access() callbacks (net/core/filter.c, kernel/trace/bpf_trace.c,
 * kernel/bpf/syscall.c, v6.18) for XDP (struct xdp_md), socket filters and TC (struct __sk_buff),
 * syscall, kprobe (struct pt_regs, x86-64), tracepoint and raw tracepoint programs.
 */
import {
  BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SOCKET_FILTER,
  BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_XDP,
} from '../uapi/bpf.ts';
import type { RegType } from './reg.ts';

export interface CtxAccess {
  /** Type of the loaded register (pointers into the packet), 'scalar' otherwise. */
  readonly regType: RegType;
}

const XDP_MD_SIZE = 24;
const SK_BUFF_SIZE = 192;
const PT_REGS_SIZE = 168;
/** MAX_BPF_FUNC_ARGS: a raw tracepoint's context is this many u64 arguments. */
const MAX_BPF_FUNC_ARGS = 12;

// struct __sk_buff offsets.
const SKB = {
  mark: 8, queueMapping: 12, priority: 32, tcIndex: 44, cb0: 48, cbEnd: 68, tcClassid: 72, data: 76, dataEnd: 80,
  family: 88, remoteIp4: 92, localIp4: 96, remoteIp6: 100, localIp6: 116, localPortEnd: 140, dataMeta: 140,
  flowKeys: 144, tstamp: 152, wireLen: 160, sk: 168, tstampType: 180, hwtstamp: 184,
} as const;

const inRange = (off: number, start: number, size: number): boolean => off >= start && off < start + size;

function xdpAccess(off: number, size: number, write: boolean): CtxAccess | undefined {
  if (off === 20) return undefined; // egress_ifindex: BPF_XDP_DEVMAP programs only
  if (write) return undefined;
  if (off < 0 || off >= XDP_MD_SIZE || off % size !== 0 || size !== 4) return undefined;
  if (off === 0) return { regType: 'pkt' };
  if (off === 4) return { regType: 'pkt_end' };
  if (off === 8) return { regType: 'pkt_meta' };
  return { regType: 'scalar' };
}

/** bpf_skb_is_valid_access(): the rules common to every __sk_buff program. */
function skbCommon(off: number, size: number, write: boolean, regType: RegType): CtxAccess | undefined {
  if (off < 0 || off >= SK_BUFF_SIZE || off % size !== 0) return undefined;
  if (inRange(off, SKB.cb0, SKB.cbEnd - SKB.cb0)) {
    if (off + size > SKB.cbEnd) return undefined;
    return { regType };
  }
  if (inRange(off, SKB.remoteIp6, 32) || inRange(off, SKB.remoteIp4, 8) || inRange(off, SKB.data, 8) ||
    inRange(off, SKB.dataMeta, 4)) {
    return size === 4 ? { regType } : undefined;
  }
  if (inRange(off, SKB.flowKeys, 8)) return undefined;
  if (inRange(off, SKB.hwtstamp, 8)) return !write && size === 8 ? { regType } : undefined;
  if (inRange(off, SKB.tstamp, 8)) return size === 8 ? { regType } : undefined;
  // sk (a socket pointer) and tstamp_type need BTF-typed pointers and bit-field rewrites tsbpf lacks.
  if (inRange(off, SKB.sk, 8) || inRange(off, SKB.tstampType, 4)) return undefined;
  if (write) return size === 4 ? { regType } : undefined;
  return size <= 4 && (size & (size - 1)) === 0 ? { regType } : undefined;
}

function socketFilterAccess(off: number, size: number, write: boolean): CtxAccess | undefined {
  if (inRange(off, SKB.tcClassid, 4) || inRange(off, SKB.data, 8) || inRange(off, SKB.dataMeta, 4) ||
    inRange(off, SKB.family, SKB.localPortEnd - SKB.family) || inRange(off, SKB.tstamp, 8) ||
    inRange(off, SKB.wireLen, 4) || inRange(off, SKB.hwtstamp, 8)) return undefined;
  if (write && !inRange(off, SKB.cb0, SKB.cbEnd - SKB.cb0)) return undefined;
  return skbCommon(off, size, write, 'scalar');
}

function tcAccess(off: number, size: number, write: boolean): CtxAccess | undefined {
  if (write) {
    const ok = inRange(off, SKB.mark, 4) || inRange(off, SKB.tcIndex, 4) || inRange(off, SKB.priority, 4) ||
      inRange(off, SKB.tcClassid, 4) || inRange(off, SKB.cb0, SKB.cbEnd - SKB.cb0) || inRange(off, SKB.tstamp, 8) ||
      inRange(off, SKB.queueMapping, 4);
    if (!ok) return undefined;
  }
  if (inRange(off, SKB.family, SKB.localPortEnd - SKB.family)) return undefined;
  let regType: RegType = 'scalar';
  if (inRange(off, SKB.data, 4)) regType = 'pkt';
  else if (inRange(off, SKB.dataMeta, 4)) regType = 'pkt_meta';
  else if (inRange(off, SKB.dataEnd, 4)) regType = 'pkt_end';
  return skbCommon(off, size, write, regType);
}

/**
 * is_valid_access for the program type: the register type a read yields, or undefined when the
 * kernel refuses the access (`invalid bpf_context access`).
 */
export function ctxAccess(progType: number, off: number, size: number, write: boolean, ctxSizeHint?: number): CtxAccess | undefined {
  switch (progType) {
    case BPF_PROG_TYPE_XDP: return xdpAccess(off, size, write);
    case BPF_PROG_TYPE_SOCKET_FILTER: return socketFilterAccess(off, size, write);
    case BPF_PROG_TYPE_SCHED_CLS: case BPF_PROG_TYPE_SCHED_ACT: return tcAccess(off, size, write);
    case BPF_PROG_TYPE_SYSCALL: {
      const limit = Math.min(ctxSizeHint ?? 0xffff, 0xffff);
      return off >= 0 && off < limit && off % size === 0 ? { regType: 'scalar' } : undefined;
    }
    case BPF_PROG_TYPE_KPROBE:
      return !write && off >= 0 && off < PT_REGS_SIZE && off % size === 0 && off + size <= PT_REGS_SIZE
        ? { regType: 'scalar' } : undefined;
    case BPF_PROG_TYPE_RAW_TRACEPOINT: // bpf_tracing_ctx_access(): aligned reads of the u64 arguments
      return !write && off >= 0 && off < 8 * MAX_BPF_FUNC_ARGS && off % size === 0 ? { regType: 'scalar' } : undefined;
    case BPF_PROG_TYPE_TRACEPOINT:
      return !write && off >= 8 && off < 2048 && off % size === 0 ? { regType: 'scalar' } : undefined;
    default: return undefined;
  }
}

/** may_access_direct_pkt_data(): whether the program type may write packet bytes directly. */
export function mayWritePacket(progType: number): boolean {
  return progType === BPF_PROG_TYPE_XDP || progType === BPF_PROG_TYPE_SCHED_CLS || progType === BPF_PROG_TYPE_SCHED_ACT;
}

/**
 * may_access_direct_pkt_data(env, meta, BPF_READ) for a helper argument: the program types that
 * read the packet directly (of those tsbpf models: XDP and TC) pass packet pointers only to
 * helpers whose prototype sets .pkt_access; every other program type never.
 */
export function mayHelperAccessPacket(progType: number, pktAccess: boolean): boolean {
  return mayWritePacket(progType) && pktAccess;
}

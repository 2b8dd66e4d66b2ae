/**
 * Legacy packet loads BPF_LD | BPF_ABS / BPF_IND (sizes B, H, W).
 *
 * The kernel no longer interprets these: the verifier rewrites each one (bpf_gen_ld_abs() in
 * net/core/filter.c) into a call of bpf_skb_load_helper_{8,16,32}_no_cache(skb, offset) followed by
 * "if (s64)R0 < 0 { w0 = 0; exit }". We execute that rewrite directly:
 * - offset = imm (ABS) or (s32)(src + imm) (IND), as the helper takes an `int`;
 * - in bounds: R0 = the big-endian value, zero-extended;
 * - out of bounds (past the end, or below SKF_LL_OFF): R0 = 0 and the current function returns
 *   (an `exit` of the current frame, exactly as the inlined exit does);
 * - offsets in [SKF_LL_OFF, 0) address the link-layer / network headers in the kernel; they are
 *   not modelled and stop the run with a RunError;
 * - R1..R5 are clobbered in the kernel (it is a helper call); here they keep their values, which
 *   the verifier makes unobservable.
 * The packet (skb->data, headlen) is found from the context in R6 through a runtime hook.
 * Works in node / browser.
 */
import { BPF_IND, insnMode, insnSize, sizeBytes } from '../isa/opcodes.ts';
import type { Insn } from '../isa/insn.ts';
import { InternalError, RunError } from '../util/errors.ts';
import { EOPNOTSUPP } from '../uapi/errno.ts';
import { SKF_LL_OFF } from './abi.ts';
import type { AddressSpace } from './memory.ts';

/** Where the packet of a context lives: its linear data and length. */
export interface PacketView {
  readonly dataPtr: bigint;
  readonly lenBytes: number;
}

/** Maps the context pointer (R6) to its packet; undefined when the context has none. */
export type PacketLookup = (ctx: bigint) => PacketView | undefined;

/**
 * Execute an LD_ABS/LD_IND. Returns the value for R0, or undefined when the load fails and the
 * current function must return 0.
 * @throws {RunError} without a packet for the context, or for header-relative negative offsets.
 */
export function ldAbs(memory: AddressSpace, insn: Insn, regs: readonly bigint[], packetOf: PacketLookup | undefined): bigint | undefined {
  const ctx = regs[6]!;
  const pkt = packetOf?.(ctx);
  if (pkt === undefined) {
    throw new RunError(`LD_ABS/LD_IND at insn ${insn.idx} needs a packet, and the context in R6 has none`, insn.idx, EOPNOTSUPP);
  }
  const size = sizeBytes(insnSize(insn.code));
  const offset = insnMode(insn.code) === BPF_IND
    ? Number(BigInt.asIntN(32, regs[insn.src]! + BigInt(insn.imm)))
    : insn.imm;
  if (offset < 0) {
    if (offset >= SKF_LL_OFF) {
      throw new RunError(`LD_ABS/LD_IND offset ${offset} (SKF_LL_OFF/SKF_NET_OFF header area) is not supported (insn ${insn.idx})`, insn.idx, EOPNOTSUPP);
    }
    return undefined;
  }
  if (offset + size > pkt.lenBytes) return undefined;
  const at = memory.check(pkt.dataPtr + BigInt(offset), size, 'read', insn.idx);
  const dv = memory.dataView();
  switch (size) {
    case 1: return BigInt(dv.getUint8(at));
    case 2: return BigInt(dv.getUint16(at, false));
    case 4: return BigInt(dv.getUint32(at, false));
    default: throw new InternalError(`LD_ABS of size ${size} reached ldAbs (insn ${insn.idx})`);
  }
}

/**
 * Which registers an instruction reads and writes, as bit masks (bit n = Rn). The interpreter
 * uses them to refuse reading a register that holds no value, the run-time counterpart of the
 * verifier's `R%d !read_ok` (kernel/bpf/verifier.c check_reg_arg): unverified code (the
 * conformance suite, user experiments) then fails where the kernel would refuse it.
 * Helper calls are handled by the interpreter itself (R0 written, R1..R5 lose their values).
 */
import type { Insn } from '../isa/insn.ts';
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_END, BPF_EXIT, BPF_FETCH,
  BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_LOAD_ACQ, BPF_MOV, BPF_NEG,
  BPF_ST, BPF_STORE_REL, BPF_STX, BPF_X, R0, insnClass, insnMode, insnOp, insnSrcBit,
} from '../isa/opcodes.ts';

/** R1..R5: the argument registers, clobbered by every call. */
export const CALLER_SAVED_MASK = 0b11_1110;
/** R6..R9: preserved across calls. */
export const CALLEE_SAVED_MASK = 0b11_1100_0000;
/** R10, the frame pointer: always readable. */
export const FP_MASK = 1 << 10;

export interface RegUsage {
  readonly reads: number;
  readonly writes: number;
}

const bit = (r: number): number => 1 << r;

/** Registers `insn` reads and writes. Calls and exit report only what they read. */
export function regUsage(insn: Insn): RegUsage {
  const { code, dst, src } = insn;
  const op = insnOp(code);
  const x = insnSrcBit(code) === BPF_X;
  switch (insnClass(code)) {
    case BPF_ALU:
    case BPF_ALU64:
      if (op === BPF_MOV) return { reads: x ? bit(src) : 0, writes: bit(dst) };
      if (op === BPF_NEG || op === BPF_END) return { reads: bit(dst), writes: bit(dst) };
      return { reads: bit(dst) | (x ? bit(src) : 0), writes: bit(dst) };
    case BPF_JMP:
    case BPF_JMP32:
      if (op === BPF_JA || op === BPF_JCOND) return { reads: 0, writes: 0 };
      if (op === BPF_EXIT) return { reads: bit(R0), writes: 0 };
      if (op === BPF_CALL) return { reads: x ? bit(dst) : 0, writes: 0 };
      return { reads: bit(dst) | (x ? bit(src) : 0), writes: 0 };
    case BPF_LDX:
      return { reads: bit(src), writes: bit(dst) };
    case BPF_ST:
      return { reads: bit(dst), writes: 0 };
    case BPF_STX: {
      if (insnMode(code) !== BPF_ATOMIC) return { reads: bit(dst) | bit(src), writes: 0 };
      if (insn.imm === BPF_LOAD_ACQ) return { reads: bit(src), writes: bit(dst) };
      if (insn.imm === BPF_STORE_REL) return { reads: bit(dst) | bit(src), writes: 0 };
      if (insn.imm === BPF_CMPXCHG) return { reads: bit(dst) | bit(src) | bit(R0), writes: bit(R0) };
      return { reads: bit(dst) | bit(src), writes: insn.imm & BPF_FETCH ? bit(src) : 0 };
    }
    case BPF_LD: {
      const mode = insnMode(code);
      // LD_ABS/LD_IND read the context in R6; the rewritten sequence clobbers R1..R5.
      if (mode === BPF_ABS) return { reads: bit(6), writes: bit(R0) };
      if (mode === BPF_IND) return { reads: bit(6) | bit(src), writes: bit(R0) };
      return { reads: 0, writes: bit(dst) }; // ld_imm64
    }
    default:
      return { reads: 0, writes: 0 };
  }
}

/** Lowest register number set in `mask` (for the error message). */
export function firstReg(mask: number): number {
  return 31 - Math.clz32(mask & -mask);
}

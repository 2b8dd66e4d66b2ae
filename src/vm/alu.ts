/**
 * ALU semantics of the reference interpreter, after ___bpf_prog_run() in kernel/bpf/core.c and
 * Documentation/bpf/standardization/instruction-set.rst:
 * - 64-bit ops work on u64 bigints; 32-bit ops work on the low halves as JS numbers (with `>>> 0`
 *   and `| 0`) and zero-extend the result into the 64-bit register;
 * - shift counts are masked to the operand width (& 63, & 31);
 * - unsigned division by zero gives 0, modulo by zero leaves the dividend (for 32-bit modulo: the
 *   truncated dividend, zero-extended), and the same holds for sdiv/smod (off = 1);
 *   INT_MIN / -1 is INT_MIN and INT_MIN % -1 is 0, as two's complement wrap-around gives.
 * Works in node / browser.
 */
import {
  BPF_ADD, BPF_AND, BPF_ARSH, BPF_DIV, BPF_END, BPF_LSH, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG,
  BPF_OR, BPF_RSH, BPF_SUB, BPF_TO_BE, BPF_XOR,
} from '../isa/opcodes.ts';
import type { Insn } from '../isa/insn.ts';
import { RunError } from '../util/errors.ts';
import { EINVAL, EOPNOTSUPP } from '../uapi/errno.ts';

/** The RunError for an instruction the interpreter cannot execute (bad opcode or field). */
export function invalidInsn(insn: Insn, why: string): RunError {
  const code = `0x${insn.code.toString(16).padStart(2, '0')}`;
  return new RunError(`invalid instruction ${code} at insn ${insn.idx}: ${why}`, insn.idx, EINVAL);
}

/**
 * A 64-bit ALU operation (BPF_ALU64), `op` = insnOp(code), `src` already resolved (register value,
 * or the sign-extended imm). Returns the new dst value. NEG and END are not handled here.
 * @throws {RunError} EINVAL for an op/off combination that does not exist.
 */
export function alu64(insn: Insn, op: number, dst: bigint, src: bigint): bigint {
  switch (op) {
    case BPF_ADD: return BigInt.asUintN(64, dst + src);
    case BPF_SUB: return BigInt.asUintN(64, dst - src);
    case BPF_MUL: return BigInt.asUintN(64, dst * src);
    case BPF_OR: return dst | src;
    case BPF_AND: return dst & src;
    case BPF_XOR: return dst ^ src;
    case BPF_LSH: return BigInt.asUintN(64, dst << (src & 63n));
    case BPF_RSH: return dst >> (src & 63n);
    case BPF_ARSH: return BigInt.asUintN(64, BigInt.asIntN(64, dst) >> (src & 63n));
    case BPF_DIV:
      if (insn.off === 0) return src === 0n ? 0n : dst / src;
      if (insn.off === 1) {
        const s = BigInt.asIntN(64, src);
        return s === 0n ? 0n : BigInt.asUintN(64, BigInt.asIntN(64, dst) / s);
      }
      throw invalidInsn(insn, `div with off ${insn.off} (0 = udiv, 1 = sdiv)`);
    case BPF_MOD:
      if (insn.off === 0) return src === 0n ? dst : dst % src;
      if (insn.off === 1) {
        const s = BigInt.asIntN(64, src);
        // BigInt % truncates toward zero: the result has the dividend's sign, as in C.
        return s === 0n ? dst : BigInt.asUintN(64, BigInt.asIntN(64, dst) % s);
      }
      throw invalidInsn(insn, `mod with off ${insn.off} (0 = umod, 1 = smod)`);
    case BPF_MOV:
      switch (insn.off) {
        case 0: return src;
        case 8: case 16: case 32: return BigInt.asUintN(64, BigInt.asIntN(insn.off, src));
        case 1: throw new RunError(`addr_space_cast (arena pointers) is not supported at run time (insn ${insn.idx})`, insn.idx, EOPNOTSUPP);
        default: throw invalidInsn(insn, `mov with off ${insn.off} (0, or 8/16/32 for movsx)`);
      }
    default:
      throw invalidInsn(insn, `unknown ALU64 operation 0x${op.toString(16)}`);
  }
}

/**
 * A 32-bit ALU operation (BPF_ALU) on the low halves `a` = (u32)dst and `b` = (u32)src, both
 * unsigned JS numbers. Returns the unsigned 32-bit result (the caller zero-extends it).
 * @throws {RunError} EINVAL for an op/off combination that does not exist.
 */
export function alu32(insn: Insn, op: number, a: number, b: number): number {
  switch (op) {
    case BPF_ADD: return (a + b) >>> 0;
    case BPF_SUB: return (a - b) >>> 0;
    case BPF_MUL: return Math.imul(a, b) >>> 0;
    case BPF_OR: return (a | b) >>> 0;
    case BPF_AND: return (a & b) >>> 0;
    case BPF_XOR: return (a ^ b) >>> 0;
    case BPF_LSH: return (a << (b & 31)) >>> 0;
    case BPF_RSH: return a >>> (b & 31);
    case BPF_ARSH: return (a >> (b & 31)) >>> 0;
    case BPF_DIV:
      if (insn.off === 0) return b === 0 ? 0 : Math.floor(a / b);
      if (insn.off === 1) return (b | 0) === 0 ? 0 : Math.trunc((a | 0) / (b | 0)) >>> 0;
      throw invalidInsn(insn, `div32 with off ${insn.off} (0 = udiv, 1 = sdiv)`);
    case BPF_MOD:
      if (insn.off === 0) return b === 0 ? a : a % b;
      if (insn.off === 1) return (b | 0) === 0 ? a : ((a | 0) % (b | 0)) >>> 0;
      throw invalidInsn(insn, `mod32 with off ${insn.off} (0 = umod, 1 = smod)`);
    case BPF_MOV:
      switch (insn.off) {
        case 0: return b;
        case 8: return ((b << 24) >> 24) >>> 0;
        case 16: return ((b << 16) >> 16) >>> 0;
        default: throw invalidInsn(insn, `mov32 with off ${insn.off} (0, or 8/16 for movsx)`);
      }
    default:
      throw invalidInsn(insn, `unknown ALU operation 0x${op.toString(16)}`);
  }
}

/** Negation: 64-bit when `is64`, else of the low half, zero-extended. */
export function neg(dst: bigint, is64: boolean): bigint {
  return is64 ? BigInt.asUintN(64, -dst) : BigInt((-Number(dst & 0xffff_ffffn)) >>> 0);
}

function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}

function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/**
 * BPF_END. In class BPF_ALU, the source bit picks the byte order: to-LE is a truncation to
 * `imm` bits on our little-endian model, to-BE a swap of the low `imm` bits (upper bits cleared).
 * In class BPF_ALU64 (source bit 0) it is an unconditional bswap16/32/64.
 * @throws {RunError} EINVAL for a width other than 16/32/64 or ALU64 with the source bit set.
 */
export function byteSwap(insn: Insn, is64Class: boolean, srcBit: number, dst: bigint): bigint {
  if (is64Class && srcBit !== 0) throw invalidInsn(insn, 'bswap must use source bit 0');
  const swap = is64Class || srcBit === BPF_TO_BE;
  const lo = Number(dst & 0xffff_ffffn);
  switch (insn.imm) {
    case 16: return BigInt(swap ? bswap16(lo) : lo & 0xffff);
    case 32: return BigInt(swap ? bswap32(lo) : lo);
    case 64: {
      if (!swap) return dst;
      const hi = Number(dst >> 32n);
      return (BigInt(bswap32(lo)) << 32n) | BigInt(bswap32(hi));
    }
    default:
      throw invalidInsn(insn, `byte swap width ${insn.imm} (16, 32 or 64)`);
  }
}

/** True for the opcode field of NEG and END, which take no source operand. */
export function isUnaryOp(op: number): boolean {
  return op === BPF_NEG || op === BPF_END;
}

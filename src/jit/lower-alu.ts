/**
 * Lowering of ALU, ALU64 and the conditions of conditional jumps to Wasm, with the interpreter's
 * semantics (src/vm/alu.ts, src/vm/jmp.ts): 32-bit results zero-extended; shift counts masked
 * (Wasm masks them the same way); division by zero gives 0 and modulo by zero the dividend
 * (32-bit: truncated, zero-extended); signed INT_MIN / -1 gives INT_MIN without reaching Wasm's
 * trapping div_s; movsx, neg and byte swaps. Invalid encodings trap with the interpreter's own
 * error, obtained by asking the interpreter's functions about the instruction at compile time.
 * Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import {
  BPF_ADD, BPF_ALU64, BPF_AND, BPF_CALL, BPF_IMM, BPF_JMP, BPF_JMP32, BPF_LD, BPF_ARSH, BPF_DIV, BPF_END, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT,
  BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_LSH, BPF_MOD, BPF_MOV,
  BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_TO_BE, BPF_X, BPF_XOR, insnClass, insnMode, insnOp, insnSrcBit,
} from '../isa/opcodes.ts';
import { RunError, InternalError } from '../util/errors.ts';
import { alu32, alu64, byteSwap, invalidInsn } from '../vm/alu.ts';
import { regUsage } from '../vm/reg-usage.ts';
import type { FuncEmitter } from './emit.ts';
import { I32, I64, type Op } from './wasm/opcodes.ts';

/** The interpreter's error for this ALU instruction, or undefined when it is valid. */
export function aluError(insn: Insn, is64: boolean): RunError | undefined {
  const op = insnOp(insn.code);
  try {
    if (op === BPF_NEG) {
      if (insnSrcBit(insn.code) !== BPF_K) return invalidInsn(insn, 'neg must use source bit 0');
    } else if (op === BPF_END) byteSwap(insn, is64, insnSrcBit(insn.code), 1n);
    else if (is64) alu64(insn, op, 1n, 1n);
    else alu32(insn, op, 1, 1);
  } catch (e) {
    if (e instanceof RunError) return e;
    throw e;
  }
  return undefined;
}

const BIN64: Partial<Record<number, Op>> = {
  [BPF_ADD]: 'i64.add', [BPF_SUB]: 'i64.sub', [BPF_MUL]: 'i64.mul', [BPF_OR]: 'i64.or',
  [BPF_AND]: 'i64.and', [BPF_XOR]: 'i64.xor', [BPF_LSH]: 'i64.shl', [BPF_RSH]: 'i64.shr_u',
  [BPF_ARSH]: 'i64.shr_s',
};
const BIN32: Partial<Record<number, Op>> = {
  [BPF_ADD]: 'i32.add', [BPF_SUB]: 'i32.sub', [BPF_MUL]: 'i32.mul', [BPF_OR]: 'i32.or',
  [BPF_AND]: 'i32.and', [BPF_XOR]: 'i32.xor', [BPF_LSH]: 'i32.shl', [BPF_RSH]: 'i32.shr_u',
  [BPF_ARSH]: 'i32.shr_s',
};

/**
 * True when ALU64 `insn` is `dst |= c` and `shift`, the last write of dst in the same basic block,
 * was `dst <<= k` with 0 <= c < 2^k: the low k bits of dst are zero, so the OR is an ADD, which
 * V8 folds with the shift into one x86 `lea` (one step off the dependency chain of loops that pack
 * fields).
 */
export function orIsAddAfterShift(shift: Insn | undefined, insn: Insn): boolean {
  if (shift === undefined || shift.code !== LSH64_IMM || insn.code !== (BPF_ALU64 | BPF_OR | BPF_K)) return false;
  const k = shift.imm;
  return shift.dst === insn.dst && k > 0 && k < 64 && insn.imm >= 0 && insn.imm < 2 ** k;
}

const LSH64_IMM = BPF_ALU64 | BPF_LSH | BPF_K;

/**
 * Within one basic block, the last write of each register when that write was `r <<= k` (an
 * immediate k), for {@link orIsAddAfterShift}. Calls and LD_ABS / LD_IND forget every register.
 */
export class BlockShifts {
  readonly #last: (Insn | undefined)[] = [];

  /** The `r <<= k` that last wrote `reg` in this block, if its last write was one. */
  of(reg: number): Insn | undefined {
    return this.#last[reg];
  }

  /** Records `insn`, lowered after the ones noted before it. */
  note(insn: Insn): void {
    const cls = insnClass(insn.code);
    const call = (cls === BPF_JMP || cls === BPF_JMP32) && insnOp(insn.code) === BPF_CALL;
    if (call || (cls === BPF_LD && insnMode(insn.code) !== BPF_IMM)) {
      this.#last.length = 0;
      return;
    }
    const writes = regUsage(insn).writes;
    for (let r = 0; r <= 10; r++) if ((writes & (1 << r)) !== 0) this.#last[r] = insn.code === LSH64_IMM ? insn : undefined;
  }
}

/**
 * Lower one ALU (is64 = false) or ALU64 instruction; `shift` is the last write of its destination
 * in the same basic block when that was an immediate left shift ({@link BlockShifts}).
 */
export function lowerAlu(e: FuncEmitter, insn: Insn, is64: boolean, shift?: Insn): void {
  const err = aluError(insn, is64);
  if (err !== undefined) {
    e.trap(err);
    return;
  }
  const op = insnOp(insn.code);
  if (op === BPF_NEG) {
    if (is64) e.w.i64(0n).get(e.reg[insn.dst]!).op('i64.sub');
    else e.w.i32(0).get(e.reg[insn.dst]!).op('i32.wrap_i64').op('i32.sub').op('i64.extend_i32_u');
    e.set(insn.dst);
    return;
  }
  if (op === BPF_END) {
    lowerEnd(e, insn, is64);
    return;
  }
  if (is64 && orIsAddAfterShift(shift, insn)) e.w.get(e.reg[insn.dst]!).i64(BigInt(insn.imm)).op('i64.add').set(e.reg[insn.dst]!);
  else if (is64) lowerAlu64(e, insn, op);
  else lowerAlu32(e, insn, op);
}

function lowerAlu64(e: FuncEmitter, insn: Insn, op: number): void {
  const w = e.w;
  const x = insnSrcBit(insn.code) === BPF_X;
  const dst = e.reg[insn.dst]!;
  const pushSrc = (): void => {
    if (x) w.get(e.reg[insn.src]!);
    else w.i64(BigInt(insn.imm | 0));
  };
  const bin = BIN64[op];
  if (bin !== undefined) {
    w.get(dst);
    pushSrc();
    w.op(bin).set(dst);
    return;
  }
  if (op === BPF_MOV) {
    pushSrc();
    if (insn.off === 8) w.op('i64.extend8_s');
    else if (insn.off === 16) w.op('i64.extend16_s');
    else if (insn.off === 32) w.op('i64.extend32_s');
    w.set(dst);
    return;
  }
  const signed = insn.off === 1;
  if (!x) {
    // Constant divisor: the special cases are decided now.
    const d = BigInt(insn.imm | 0);
    if (d === 0n) {
      if (op === BPF_DIV) w.i64(0n).set(dst);
      return; // x % 0 = x
    }
    if (signed && d === -1n) {
      if (op === BPF_DIV) w.i64(0n).get(dst).op('i64.sub').set(dst);
      else w.i64(0n).set(dst);
      return;
    }
    w.get(dst).i64(d).op(op === BPF_DIV ? (signed ? 'i64.div_s' : 'i64.div_u') : (signed ? 'i64.rem_s' : 'i64.rem_u')).set(dst);
    return;
  }
  const s = e.tmp64b;
  w.get(e.reg[insn.src]!).set(s);
  if (op === BPF_DIV && signed) {
    // s == 0 ? 0 : s == -1 ? -dst : dst / s   (div_s traps on INT_MIN / -1)
    w.get(s).op('i64.eqz').open('if', I64).i64(0n).op('else');
    w.get(s).i64(-1n).op('i64.eq').open('if', I64).i64(0n).get(dst).op('i64.sub');
    w.op('else').get(dst).get(s).op('i64.div_s').op('end').op('end').set(dst);
    return;
  }
  // select(zeroCase, dst op (s | (s == 0)), s == 0): the divisor is never 0 when evaluated.
  if (op === BPF_DIV) w.i64(0n);
  else if (op === BPF_MOD) w.get(dst);
  else throw new InternalError(`ALU64 op 0x${op.toString(16)} passed validation`);
  w.get(dst).get(s).get(s).op('i64.eqz').op('i64.extend_i32_u').op('i64.or');
  w.op(op === BPF_DIV ? 'i64.div_u' : signed ? 'i64.rem_s' : 'i64.rem_u');
  w.get(s).op('i64.eqz').op('select').set(dst);
}

function lowerAlu32(e: FuncEmitter, insn: Insn, op: number): void {
  const w = e.w;
  const x = insnSrcBit(insn.code) === BPF_X;
  const dst = e.reg[insn.dst]!;
  const pushSrc = (): void => {
    if (x) w.get(e.reg[insn.src]!).op('i32.wrap_i64');
    else w.i32(insn.imm | 0);
  };
  const pushDst = (): void => {
    w.get(dst).op('i32.wrap_i64');
  };
  const bin = BIN32[op];
  if (bin !== undefined) {
    pushDst();
    pushSrc();
    w.op(bin).op('i64.extend_i32_u').set(dst);
    return;
  }
  if (op === BPF_MOV) {
    pushSrc();
    if (insn.off === 8) w.op('i32.extend8_s');
    else if (insn.off === 16) w.op('i32.extend16_s');
    w.op('i64.extend_i32_u').set(dst);
    return;
  }
  const signed = insn.off === 1;
  const s = e.tmp32;
  pushSrc();
  w.set(s);
  if (op === BPF_DIV && signed) {
    w.get(s).op('i32.eqz').open('if', I32).i32(0).op('else');
    w.get(s).i32(-1).op('i32.eq').open('if', I32).i32(0);
    pushDst();
    w.op('i32.sub').op('else');
    pushDst();
    w.get(s).op('i32.div_s').op('end').op('end').op('i64.extend_i32_u').set(dst);
    return;
  }
  if (op === BPF_DIV) w.i32(0);
  else if (op === BPF_MOD) pushDst();
  else throw new InternalError(`ALU op 0x${op.toString(16)} passed validation`);
  pushDst();
  w.get(s).get(s).op('i32.eqz').op('i32.or');
  w.op(op === BPF_DIV ? 'i32.div_u' : signed ? 'i32.rem_s' : 'i32.rem_u');
  w.get(s).op('i32.eqz').op('select').op('i64.extend_i32_u').set(dst);
}

function lowerEnd(e: FuncEmitter, insn: Insn, is64: boolean): void {
  const w = e.w;
  const dst = e.reg[insn.dst]!;
  const swap = is64 || insnSrcBit(insn.code) === BPF_TO_BE;
  if (!swap) {
    if (insn.imm === 16) w.get(dst).i64(0xffffn).op('i64.and').set(dst);
    else if (insn.imm === 32) w.get(dst).i64(0xffff_ffffn).op('i64.and').set(dst);
    return;
  }
  if (insn.imm === 16) {
    // ((x & 0xff) << 8) | ((x >> 8) & 0xff)
    w.get(dst).op('i32.wrap_i64').tee(e.tmp32).i32(0xff).op('i32.and').i32(8).op('i32.shl');
    w.get(e.tmp32).i32(8).op('i32.shr_u').i32(0xff).op('i32.and').op('i32.or').op('i64.extend_i32_u').set(dst);
    return;
  }
  if (insn.imm === 32) {
    w.get(dst).op('i32.wrap_i64').set(e.tmp32);
    bswap32(e);
    w.op('i64.extend_i32_u').set(dst);
    return;
  }
  // 64: swap bytes in halfwords, halfwords in words, then the words.
  const t = e.tmp64a;
  w.get(dst).tee(t).i64(0x00ff_00ff_00ff_00ffn).op('i64.and').i64(8n).op('i64.shl');
  w.get(t).i64(8n).op('i64.shr_u').i64(0x00ff_00ff_00ff_00ffn).op('i64.and').op('i64.or').tee(t);
  w.i64(0x0000_ffff_0000_ffffn).op('i64.and').i64(16n).op('i64.shl');
  w.get(t).i64(16n).op('i64.shr_u').i64(0x0000_ffff_0000_ffffn).op('i64.and').op('i64.or');
  w.i64(32n).op('i64.rotl').set(dst);
}

/** Push bswap32(tmp32): ((x & 0xff00ff00) rotl 8) | ((x & 0x00ff00ff) rotr 8). */
function bswap32(e: FuncEmitter): void {
  const w = e.w;
  w.get(e.tmp32).i32(0xff00ff00 | 0).op('i32.and').i32(8).op('i32.rotl');
  w.get(e.tmp32).i32(0x00ff00ff).op('i32.and').i32(8).op('i32.rotr').op('i32.or');
}

const CMP64: Partial<Record<number, Op>> = {
  [BPF_JEQ]: 'i64.eq', [BPF_JNE]: 'i64.ne', [BPF_JGT]: 'i64.gt_u', [BPF_JGE]: 'i64.ge_u',
  [BPF_JLT]: 'i64.lt_u', [BPF_JLE]: 'i64.le_u', [BPF_JSGT]: 'i64.gt_s', [BPF_JSGE]: 'i64.ge_s',
  [BPF_JSLT]: 'i64.lt_s', [BPF_JSLE]: 'i64.le_s',
};
const CMP32: Partial<Record<number, Op>> = {
  [BPF_JEQ]: 'i32.eq', [BPF_JNE]: 'i32.ne', [BPF_JGT]: 'i32.gt_u', [BPF_JGE]: 'i32.ge_u',
  [BPF_JLT]: 'i32.lt_u', [BPF_JLE]: 'i32.le_u', [BPF_JSGT]: 'i32.gt_s', [BPF_JSGE]: 'i32.ge_s',
  [BPF_JSLT]: 'i32.lt_s', [BPF_JSLE]: 'i32.le_s',
};

/** Push the i32 condition of a conditional jump (1 = taken). */
export function lowerCond(e: FuncEmitter, insn: Insn, is64: boolean): void {
  const w = e.w;
  const op = insnOp(insn.code);
  const x = insnSrcBit(insn.code) === BPF_X;
  w.get(e.reg[insn.dst]!);
  if (!is64) w.op('i32.wrap_i64');
  if (x) {
    w.get(e.reg[insn.src]!);
    if (!is64) w.op('i32.wrap_i64');
  } else if (is64) w.i64(BigInt(insn.imm | 0));
  else w.i32(insn.imm | 0);
  if (op === BPF_JSET) {
    if (is64) w.op('i64.and').op('i64.eqz').op('i32.eqz');
    else w.op('i32.and').op('i32.eqz').op('i32.eqz');
    return;
  }
  const cmp = (is64 ? CMP64 : CMP32)[op];
  if (cmp === undefined) throw new InternalError(`jump op 0x${op.toString(16)} reached lowerCond`);
  w.op(cmp);
}

/**
 * ALU instructions: check_alu_op(), adjust_reg_min_max_vals() and adjust_ptr_min_max_vals(),
 * kernel/bpf/verifier.c (v6.18). Scalar range arithmetic is in alu-scalar.ts.
 */
import {
  BPF_ADD, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_DIV, BPF_END, BPF_LSH, BPF_MOD, BPF_MOV, BPF_NEG, BPF_OR,
  BPF_RSH, BPF_SUB, BPF_X, BPF_XOR, insnClass, insnOp, insnSrcBit, type Insn,
} from '../isa/index.ts';
import { EACCES, EINVAL } from '../uapi/errno.ts';
import { adjustScalarMinMaxVals } from './alu-scalar.ts';
import { coerceRegToSize, coerceRegToSizeSx, regBoundsSync, zext32To64 } from './bounds.ts';
import type { Env } from './env.ts';
import { markChainPrecision } from './precision.ts';
import * as msg from './messages.ts';
import {
  ADD_CONST32, ADD_CONST64, RegState, assignScalarIdBeforeMov, clearScalarId, S64_MAX, S64_MIN, U32_MAX, U64_MAX, hasAddConst, isPointer, isPktPointer, markReg32Unbounded, markRegConst, markRegUnbounded, markRegUnknown,
  regTypeStr,
} from './reg.ts';
import { tnumAdd, tnumBswap, tnumIsConst, tnumSub, tnumSubreg } from './tnum.ts';

/** bpf_alu_string[]: the operator as the kernel prints it. */
const ALU_STR = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const aluStr = (op: number): string => ALU_STR[op >> 4] ?? '?';

const BPF_MAX_VAR_OFF = 1n << 29n;

/** check_reg_sane_offset(): failures make adjust_ptr_min_max_vals() return -EINVAL. */
function checkRegSaneOffset(env: Env, r: RegState, typeStr: string): void {
  const known = tnumIsConst(r.varOff);
  const val = BigInt.asIntN(64, r.varOff.value);
  if (known && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF)) env.reject(EINVAL, msg.mathBetweenPtrAndConst(typeStr, val));
  if (r.off >= 1 << 29 || r.off <= -(1 << 29)) env.reject(EINVAL, msg.ptrOffsetNotAllowed(typeStr, r.off));
  if (r.smin === S64_MIN) env.reject(EINVAL, msg.mathUnboundedMin(typeStr));
  if (r.smin >= BPF_MAX_VAR_OFF || r.smin <= -BPF_MAX_VAR_OFF) env.reject(EINVAL, msg.valueMakesPtrOob(r.smin, typeStr));
}

const fitsS32 = (x: number): boolean => x >= -0x8000_0000 && x <= 0x7fff_ffff;

/** pointer (+|-) scalar: the result keeps the pointer's type with a new offset. */
function adjustPtrMinMaxVals(env: Env, insn: Insn, dst: RegState, ptr: RegState, offReg: RegState): void {
  const op = insnOp(insn.code);
  const known = tnumIsConst(offReg.varOff);
  const smin = offReg.smin, smax = offReg.smax, umin = offReg.umin, umax = offReg.umax;
  const typeStr = regTypeStr(ptr);
  if ((known && (smin !== smax || umin !== umax)) || smin > smax || umin > umax) {
    markRegUnknown(dst);
    return;
  }
  if (insnClass(insn.code) !== BPF_ALU64) {
    if (op === BPF_SUB) { markRegUnknown(dst); return; }
    env.reject(EACCES, msg.ptrArith32(insn.dst));
  }
  if (ptr.maybeNull) env.reject(EACCES, msg.ptrArithNullCheck(insn.dst, typeStr));
  switch (ptr.type) {
    // A function's address too: the kernel only lists what it prohibits (PTR_TO_FUNC is not there).
    case 'ctx': case 'map_value': case 'map_key': case 'fp': case 'pkt_meta': case 'pkt': case 'mem': case 'func': break;
    case 'map_ptr':
      if (known && smin === 0n && op === BPF_ADD) break;
      env.reject(EACCES, msg.ptrArithProhibited(insn.dst, typeStr));
      break;
    default: env.reject(EACCES, msg.ptrArithProhibited(insn.dst, typeStr));
  }
  // Checked before dst takes the pointer: for scalar op pointer, offReg is dst, and the kernel
  // gives it only the pointer's type and id before it looks at its bounds.
  checkRegSaneOffset(env, offReg, typeStr);
  checkRegSaneOffset(env, ptr, typeStr);
  const p = ptr.clone();
  dst.copyFrom(p);
  markReg32Unbounded(dst);
  switch (op) {
    case BPF_ADD: {
      const sum = p.off + Number(BigInt.asIntN(64, smin));
      if (known && fitsS32(sum)) { dst.off = sum; break; }
      const a = p.smin + smin, b = p.smax + smax;
      if (a < S64_MIN || b > S64_MAX) { dst.smin = S64_MIN; dst.smax = S64_MAX; } else { dst.smin = a; dst.smax = b; }
      const c = p.umin + umin, d = p.umax + umax;
      if (c > U64_MAX || d > U64_MAX) { dst.umin = 0n; dst.umax = U64_MAX; } else { dst.umin = c; dst.umax = d; }
      dst.varOff = tnumAdd(p.varOff, offReg.varOff);
      if (isPktPointer(p)) { dst.id = env.newId(); dst.range = 0; }
      break;
    }
    case BPF_SUB: {
      if (dst === offReg) env.reject(EACCES, msg.subtractPtrFromScalar(insn.dst));
      if (p.type === 'fp') env.reject(EACCES, msg.subtractFromFp(insn.dst));
      const diff = p.off - Number(BigInt.asIntN(64, smin));
      if (known && fitsS32(diff)) { dst.off = diff; break; }
      const a = p.smin - smax, b = p.smax - smin;
      if (a < S64_MIN || b > S64_MAX) { dst.smin = S64_MIN; dst.smax = S64_MAX; } else { dst.smin = a; dst.smax = b; }
      if (p.umin < umax) { dst.umin = 0n; dst.umax = U64_MAX; } else { dst.umin = p.umin - umax; dst.umax = p.umax - umin; }
      dst.varOff = tnumSub(p.varOff, offReg.varOff);
      if (isPktPointer(p)) { dst.id = env.newId(); if (smin < 0n) dst.range = 0; }
      break;
    }
    case BPF_AND: case BPF_OR: case BPF_XOR: env.reject(EACCES, msg.ptrBitwise(insn.dst, aluStr(op)));
      break;
    default: env.reject(EACCES, msg.ptrArithOperator(insn.dst, aluStr(op)));
  }
  checkRegSaneOffset(env, dst, typeStr);
  regBoundsSync(dst);
}

/** Registers holding immediates, shared: the ALU checks only read their source. */
const IMM_REGS = new Map<number, RegState>();

/** A scalar register holding an instruction's immediate (sign-extended to 64 bits). */
function immReg(imm: number): RegState {
  let r = IMM_REGS.get(imm);
  if (r === undefined) {
    r = new RegState();
    markRegConst(r, BigInt(imm));
    if (IMM_REGS.size < 4096) IMM_REGS.set(imm, r);
  }
  return r;
}

function adjustRegMinMaxVals(env: Env, insn: Insn): void {
  const op = insnOp(insn.code);
  const alu32 = insnClass(insn.code) !== BPF_ALU64;
  const dst = env.reg(insn.dst);
  const src = insnSrcBit(insn.code) === BPF_X ? env.reg(insn.src) : immReg(insn.imm);
  if (isPointer(dst) && isPointer(src)) {
    if (op === BPF_SUB) { markRegUnknown(dst); return; }
    env.reject(EACCES, msg.ptrOpPtr(insn.dst, aluStr(op)));
  }
  // A pointer's new offset depends on the exact value of the scalar added to it.
  const isX = insnSrcBit(insn.code) === BPF_X;
  if (isPointer(dst)) { if (isX) markChainPrecision(env, insn.src); return adjustPtrMinMaxVals(env, insn, dst, dst, src); }
  if (isPointer(src)) { markChainPrecision(env, insn.dst); return adjustPtrMinMaxVals(env, insn, dst, src, dst); }
  // What a precise scalar is computed from must be precise too.
  if (isX && dst.precise) markChainPrecision(env, insn.src);
  // Read before the operation: a 32-bit one zero-extends the result.
  const dstUmax = dst.umax;
  adjustScalarMinMaxVals(op, dst, src, alu32);
  // `rX = rY; rX += K` (or -= K, K known in the operation's width): rX stays linked to rY with the
  // delta in `off`, flagged by the width. rX += rX is not a delta (src is already the result).
  if ((op === BPF_ADD || op === BPF_SUB) && dst.id !== 0 && src.type === 'scalar' &&
    tnumIsConst(alu32 ? tnumSubreg(src.varOff) : src.varOff) && !(isX && insn.src === insn.dst)) {
    const val = alu32 ? tnumSubreg(src.varOff).value : src.varOff.value;
    const s64 = BigInt.asIntN(64, val);
    let off = Number(BigInt.asIntN(32, val));
    let link = true;
    // A 64-bit delta must fit in s32; a 32-bit one needs the upper half zero already.
    if (!alu32 && (s64 < -0x8000_0000n || s64 > 0x7fff_ffffn)) link = false;
    else if (alu32 && dstUmax > U32_MAX) link = false;
    else if (op === BPF_SUB) {
      if (off === -0x8000_0000) link = false;
      off = -off;
    }
    // Deltas do not add up: a register already offset is unlinked by a second one.
    if (!link || hasAddConst(dst.id)) clearScalarId(dst);
    else { dst.id += alu32 ? ADD_CONST32 : ADD_CONST64; dst.off = off; }
  } else {
    clearScalarId(dst);
  }
}

/** A scalar copy that keeps the link when `keep` (the copy's value is the source's), and drops it otherwise. */
function movLinked(env: Env, dst: RegState, src: RegState, keep: boolean): void {
  if (keep) assignScalarIdBeforeMov(env, src);
  dst.copyFrom(src);
  if (!keep) clearScalarId(dst);
}

/** check_alu_op(). */
export function checkAluOp(env: Env, insn: Insn): void {
  const op = insnOp(insn.code);
  const alu64 = insnClass(insn.code) === BPF_ALU64;
  const isX = insnSrcBit(insn.code) === BPF_X;
  if (op === BPF_END || op === BPF_NEG) {
    if (op === BPF_NEG && (isX || insn.src !== 0 || insn.off !== 0 || insn.imm !== 0)) env.reject(EINVAL, msg.reservedFieldsOf('BPF_NEG'));
    if (op === BPF_END && (insn.src !== 0 || insn.off !== 0 || (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) ||
      (alu64 && isX))) {
      env.reject(EINVAL, msg.reservedFieldsOf('BPF_END'));
    }
    const r = env.srcReg(insn.dst);
    env.dstReg(insn.dst);
    // Root may negate or byte-swap a pointer (is_pointer_value() is false with allow_ptr_leaks):
    // the result is a scalar nothing is known about.
    if (isPointer(r)) { markRegUnknown(r); return; }
    if (op === BPF_NEG) {
      const negated = r.clone();
      markRegConst(r, 0n);
      adjustScalarMinMaxVals(BPF_SUB, r, negated, !alu64);
      return;
    }
    // scalar_byte_swap(): the tnum's bytes are swapped when the host order differs (always for
    // bswap), then narrowed to the width; bounds are re-derived from the tnum. le64 is a no-op here.
    const bits = insn.imm as 16 | 32 | 64;
    const needSwap = alu64 || isX;
    if (needSwap) {
      r.varOff = tnumBswap(r.varOff, bits);
      markRegUnbounded(r);
      r.id = 0;
    }
    if (bits !== 64) { r.id = 0; coerceRegToSize(r, bits / 8); }
    regBoundsSync(r);
    return;
  }
  if (op === BPF_MOV) {
    const movsx = alu64 ? [0, 8, 16, 32] : [0, 8, 16];
    if (isX && alu64 && insn.off === 1) {
      // BPF_ADDR_SPACE_CAST: arena pointers, which tsbpf has no maps for.
      if (insn.imm !== 1 && insn.imm !== 1 << 16) env.reject(EINVAL, msg.addrSpaceCastSpaces());
      env.reject(EINVAL, msg.addrSpaceCastNoArena());
    }
    if (isX ? !movsx.includes(insn.off) || insn.imm !== 0 : insn.src !== 0 || insn.off !== 0) {
      env.reject(EINVAL, msg.reservedFieldsOf('BPF_MOV'));
    }
    if (isX) env.srcReg(insn.src);
    const dst = env.dstReg(insn.dst);
    if (!isX) {
      markRegConst(dst, alu64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0));
      return;
    }
    const src = env.reg(insn.src);
    if (alu64) {
      if (insn.off === 0) {
        assignScalarIdBeforeMov(env, src);
        dst.copyFrom(src);
        return;
      }
      // Root may leak pointers: a sign-extended pointer is just an unknown scalar.
      if (isPointer(src)) { markRegUnknown(dst); return; }
      movLinked(env, dst, src, src.umax < 1n << BigInt(insn.off - 1));
      coerceRegToSizeSx(dst, insn.off / 8);
      return;
    }
    if (isPointer(src)) { markRegUnknown(dst); zext32To64(dst); regBoundsSync(dst); return; }
    // A 32-bit copy stays linked when it changes nothing: the value fits in 32 bits (or, sign
    // extended, is below the sign bit of the narrower width).
    movLinked(env, dst, src, insn.off === 0 ? src.umax <= U32_MAX : src.umax < 1n << BigInt(insn.off - 1));
    if (insn.off !== 0) coerceRegToSizeSx(dst, insn.off / 8);
    zext32To64(dst);
    regBoundsSync(dst);
    return;
  }
  if (op > BPF_END) env.reject(EINVAL, msg.invalidAluOpcode(op));
  // off 1 is sdiv / smod; everything else must be zero.
  if ((isX ? insn.imm !== 0 : insn.src !== 0) || (insn.off !== 0 && insn.off !== 1) ||
    (insn.off === 1 && op !== BPF_MOD && op !== BPF_DIV)) {
    env.reject(EINVAL, msg.reservedFieldsOf('BPF_ALU'));
  }
  if (isX) env.srcReg(insn.src);
  env.srcReg(insn.dst);
  if ((op === BPF_MOD || op === BPF_DIV) && !isX && insn.imm === 0) env.reject(EINVAL, msg.divByZero());
  if ((op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) && !isX) {
    const bits = alu64 ? 64 : 32;
    if (insn.imm < 0 || insn.imm >= bits) env.reject(EINVAL, msg.invalidShift(insn.imm));
  }
  env.dstReg(insn.dst);
  adjustRegMinMaxVals(env, insn);
}

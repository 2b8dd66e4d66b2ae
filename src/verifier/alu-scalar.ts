/**
 * Range arithmetic of ALU operations on scalars: the kernel's adjust_scalar_min_max_vals() and
 * its scalar{32,}_min_max_{add,sub,mul,and,or,xor,lsh,rsh,arsh}() helpers, kernel/bpf/verifier.c
 * (v6.18). The destination's tnum and ranges are updated in place; `src` is read only.
 */
import {
  BPF_ADD, BPF_AND, BPF_ARSH, BPF_LSH, BPF_MUL, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR,
} from '../isa/index.ts';
import { regBoundsSync, updateRegBounds, zext32To64 } from './bounds.ts';
import {
  RegState, S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, markReg32Unbounded, markReg64Unbounded,
  markRegKnown, markRegUnknown,
} from './reg.ts';
import {
  tnumAdd, tnumAnd, tnumArshift, tnumIsConst, tnumLshift, tnumMul, tnumOr, tnumRshift, tnumSub, tnumSubreg,
  tnumXor,
} from './tnum.ts';

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const fitsS64 = (x: bigint): boolean => x >= S64_MIN && x <= S64_MAX;
const fitsS32 = (x: bigint): boolean => x >= S32_MIN && x <= S32_MAX;

/** scalar_min_max_add() and scalar32_min_max_add(): the ranges of d + s (the tnum is not touched). */
export function addRanges(d: RegState, s: RegState): void {
  const smin = d.smin + s.smin, smax = d.smax + s.smax;
  if (!fitsS64(smin) || !fitsS64(smax)) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = smin; d.smax = smax; }
  const umin = d.umin + s.umin, umax = d.umax + s.umax;
  if (umin > U64_MAX || umax > U64_MAX) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = umin; d.umax = umax; }
  const s32min = d.s32min + s.s32min, s32max = d.s32max + s.s32max;
  if (!fitsS32(s32min) || !fitsS32(s32max)) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = s32min; d.s32max = s32max; }
  const u32min = d.u32min + s.u32min, u32max = d.u32max + s.u32max;
  if (u32min > U32_MAX || u32max > U32_MAX) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min = u32min; d.u32max = u32max; }
}

function sub(d: RegState, s: RegState): void {
  const smin = d.smin - s.smax, smax = d.smax - s.smin;
  if (!fitsS64(smin) || !fitsS64(smax)) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = smin; d.smax = smax; }
  if (d.umin < s.umax) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin -= s.umax; d.umax -= s.umin; }
  const s32min = d.s32min - s.s32max, s32max = d.s32max - s.s32min;
  if (!fitsS32(s32min) || !fitsS32(s32max)) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = s32min; d.s32max = s32max; }
  if (d.u32min < s.u32max) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min -= s.u32max; d.u32max -= s.u32min; }
}

function mul(d: RegState, s: RegState): void {
  const umax = d.umax * s.umax, umin = d.umin * s.umin;
  if (umax > U64_MAX || umin > U64_MAX) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = umin; d.umax = umax; }
  const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (p.some((x) => !fitsS64(x))) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = p.reduce(min); d.smax = p.reduce(max); }
  const u32max = d.u32max * s.u32max, u32min = d.u32min * s.u32min;
  if (u32max > U32_MAX || u32min > U32_MAX) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min = u32min; d.u32max = u32max; }
  const q = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (q.some((x) => !fitsS32(x))) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = q.reduce(min); d.s32max = q.reduce(max); }
}

/** After a bitwise op: signed bounds from unsigned ones when they do not cross the sign bit. */
function signedFromUnsigned(d: RegState): void {
  if (BigInt.asIntN(32, d.u32min) <= BigInt.asIntN(32, d.u32max)) {
    d.s32min = BigInt.asIntN(32, d.u32min); d.s32max = BigInt.asIntN(32, d.u32max);
  } else { d.s32min = S32_MIN; d.s32max = S32_MAX; }
  if (BigInt.asIntN(64, d.umin) <= BigInt.asIntN(64, d.umax)) {
    d.smin = BigInt.asIntN(64, d.umin); d.smax = BigInt.asIntN(64, d.umax);
  } else { d.smin = S64_MIN; d.smax = S64_MAX; }
}

function bitwise(op: number, d: RegState, s: RegState): void {
  const v32 = tnumSubreg(d.varOff);
  const v = d.varOff;
  switch (op) {
    case BPF_AND:
      d.u32min = v32.value; d.u32max = min(d.u32max, s.u32max);
      d.umin = v.value; d.umax = min(d.umax, s.umax);
      break;
    case BPF_OR:
      d.u32min = max(d.u32min, s.u32min); d.u32max = v32.value | v32.mask;
      d.umin = max(d.umin, s.umin); d.umax = v.value | v.mask;
      break;
    default:
      d.u32min = v32.value; d.u32max = v32.value | v32.mask;
      d.umin = v.value; d.umax = v.value | v.mask;
  }
  signedFromUnsigned(d);
  updateRegBounds(d);
}

function lsh64(d: RegState, umin: bigint, umax: bigint): void {
  // A <<32 of a non-negative s32 is the compilers' sign-extension idiom: keep the signed bounds.
  d.smax = umin === 32n && umax === 32n && d.s32max >= 0n ? d.s32max << 32n : S64_MAX;
  d.smin = umin === 32n && umax === 32n && d.s32min >= 0n ? d.s32min << 32n : S64_MIN;
  if (d.umax > 1n << (63n - umax)) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin <<= umin; d.umax <<= umax; }
}

function lsh32(d: RegState, umin: bigint, umax: bigint): void {
  d.s32min = S32_MIN; d.s32max = S32_MAX;
  if (umax > 31n || d.u32max > 1n << (31n - umax)) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min <<= umin; d.u32max <<= umax; }
}

function shift(op: number, d: RegState, amount: number, alu32: boolean): void {
  const k = BigInt(amount);
  if (op === BPF_LSH) {
    if (alu32) {
      lsh32(d, k, k);
      d.varOff = tnumSubreg(tnumLshift(tnumSubreg(d.varOff), amount));
      markReg64Unbounded(d);
    } else {
      lsh64(d, k, k);
      lsh32(d, k, k);
      d.varOff = tnumLshift(d.varOff, amount);
    }
  } else if (op === BPF_RSH) {
    if (alu32) {
      d.s32min = S32_MIN; d.s32max = S32_MAX;
      d.varOff = tnumRshift(tnumSubreg(d.varOff), amount);
      d.u32min >>= k; d.u32max >>= k;
      markReg64Unbounded(d);
    } else {
      d.smin = S64_MIN; d.smax = S64_MAX;
      d.varOff = tnumRshift(d.varOff, amount);
      d.umin >>= k; d.umax >>= k;
      markReg32Unbounded(d);
    }
  } else if (alu32) {
    d.s32min >>= k; d.s32max >>= k;
    d.varOff = tnumArshift(tnumSubreg(d.varOff), amount, 32);
    d.u32min = 0n; d.u32max = U32_MAX;
    markReg64Unbounded(d);
  } else {
    d.smin >>= k; d.smax >>= k;
    d.varOff = tnumArshift(d.varOff, amount, 64);
    d.umin = 0n; d.umax = U64_MAX;
    markReg32Unbounded(d);
  }
  updateRegBounds(d);
}

/** is_safe_to_compute_dst_reg_range: operations whose result range is tracked. */
function safeToCompute(op: number, src: RegState, alu32: boolean): boolean {
  switch (op) {
    case BPF_ADD: case BPF_SUB: case BPF_AND: case BPF_XOR: case BPF_OR: case BPF_MUL: return true;
    case BPF_LSH: case BPF_RSH: case BPF_ARSH: {
      const constSrc = alu32 ? src.u32min === src.u32max : tnumIsConst(src.varOff);
      return constSrc && src.umax < (alu32 ? 32n : 64n);
    }
    default: return false;
  }
}

/**
 * dst = dst op src for two scalars (src may be a fake register holding an immediate), updating
 * dst's tnum and ranges as the kernel does; unknown result for operations it does not track.
 */
export function adjustScalarMinMaxVals(op: number, dst: RegState, src: RegState, alu32: boolean): void {
  if (dst.varOff.mask === 0n && src.varOff.mask === 0n && safeToCompute(op, src, alu32)) {
    const v = constResult(op, dst.varOff.value, src.varOff.value, alu32);
    if (v !== undefined) { markRegKnown(dst, v); return; }
  }
  // Not even zero-extended for a 32-bit operation: the kernel returns before that step.
  if (!safeToCompute(op, src, alu32)) {
    markRegUnknown(dst);
    return;
  }
  switch (op) {
    case BPF_ADD: addRanges(dst, src); dst.varOff = tnumAdd(dst.varOff, src.varOff); break;
    case BPF_SUB: sub(dst, src); dst.varOff = tnumSub(dst.varOff, src.varOff); break;
    case BPF_MUL: dst.varOff = tnumMul(dst.varOff, src.varOff); mul(dst, src); break;
    case BPF_AND: case BPF_OR: case BPF_XOR: {
      const both = alu32
        ? tnumIsConst(tnumSubreg(dst.varOff)) && tnumIsConst(tnumSubreg(src.varOff))
        : tnumIsConst(dst.varOff) && tnumIsConst(src.varOff);
      const f = op === BPF_AND ? tnumAnd : op === BPF_OR ? tnumOr : tnumXor;
      dst.varOff = f(dst.varOff, src.varOff);
      if (both && !alu32) markRegKnown(dst, dst.varOff.value);
      else bitwise(op, dst, src);
      break;
    }
    case BPF_LSH: case BPF_RSH: case BPF_ARSH:
      shift(op, dst, Number(alu32 ? src.u32min : src.umin), alu32);
      break;
    default: markRegUnknown(dst);
  }
  if (alu32) zext32To64(dst);
  regBoundsSync(dst);
}

/**
 * The exact result of an operation on two known constants (what the tnum and range arithmetic
 * reach for constants, computed directly), or undefined for operations not folded here.
 */
function constResult(op: number, d: bigint, s: bigint, alu32: boolean): bigint | undefined {
  const bits = alu32 ? 32 : 64;
  const a = BigInt.asUintN(bits, d), b = BigInt.asUintN(bits, s);
  let r: bigint;
  switch (op) {
    case BPF_ADD: r = a + b; break;
    case BPF_SUB: r = a - b; break;
    case BPF_MUL: r = a * b; break;
    case BPF_AND: r = a & b; break;
    case BPF_OR: r = a | b; break;
    case BPF_XOR: r = a ^ b; break;
    case BPF_LSH: r = a << b; break;
    case BPF_RSH: r = a >> b; break;
    case BPF_ARSH: r = BigInt.asIntN(bits, a) >> b; break;
    default: return undefined;
  }
  return BigInt.asUintN(bits, r);
}

/**
 * Scalar bounds: keeping the tnum and the four ranges (s64, u64, s32, u32) of a register
 * consistent, and the range arithmetic of each ALU operation.
 * Mirrors reg_bounds_sync() and the scalar*_min_max_*() family, kernel/bpf/verifier.c (v6.18).
 */
import {
  RegState, S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, markReg32Unbounded, markReg64Unbounded,
} from './reg.ts';
import {
  tnumCast, tnumClearSubreg, tnumIntersect, tnumOr, tnumRange, tnumSubreg,
} from './tnum.ts';

const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Ranges implied by the tnum (__update_reg32_bounds / __update_reg64_bounds). */
export function updateRegBounds(r: RegState): void {
  const v32 = tnumSubreg(r.varOff);
  r.s32min = max(r.s32min, s32(v32.value | (v32.mask & 0x8000_0000n)));
  r.s32max = min(r.s32max, s32(v32.value | (v32.mask & 0x7fff_ffffn)));
  r.u32min = max(r.u32min, v32.value);
  r.u32max = min(r.u32max, v32.value | v32.mask);
  const v = r.varOff;
  r.smin = max(r.smin, s64(v.value | (v.mask & (1n << 63n))));
  r.smax = min(r.smax, s64(v.value | (v.mask & S64_MAX)));
  r.umin = max(r.umin, v.value);
  r.umax = min(r.umax, v.value | v.mask);
}

function deduce32(r: RegState): void {
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = max(r.u32min, u32(r.umin));
    r.u32max = min(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = max(r.s32min, s32(r.umin));
      r.s32max = min(r.s32max, s32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    if (u32(r.smin) <= u32(r.smax)) {
      r.u32min = max(r.u32min, u32(r.smin));
      r.u32max = min(r.u32max, u32(r.smax));
    }
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = max(r.s32min, s32(r.smin));
      r.s32max = min(r.s32max, s32(r.smax));
    }
  }
  // The upper halves differ by one and the lower halves cross from negative to non-negative s32.
  // (u32 arithmetic: 0xffffffff and 0 are sequential too.)
  if (u32(u32(r.umin >> 32n) + 1n) === u32(r.umax >> 32n) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin));
    r.s32max = min(r.s32max, s32(r.umax));
  }
  if (u32(u32(r.smin >> 32n) + 1n) === u32(r.smax >> 32n) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin));
    r.s32max = min(r.s32max, s32(r.smax));
  }
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(r.u32min, u32(r.s32min));
    r.u32max = min(r.u32max, u32(r.s32max));
  }
}

function deduce64(r: RegState): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = max(r.smin, s64(r.umin));
    r.smax = min(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = max(r.umin, u64(r.smin));
    r.umax = min(r.umax, u64(r.smax));
  } else if (r.umax < u64(r.smin)) {
    // The signed range wraps; the unsigned range sits in its non-negative part.
    r.smin = s64(r.umin);
    r.umax = min(r.umax, u64(r.smax));
  } else if (u64(r.smax) < r.umin) {
    r.smax = s64(r.umax);
    r.umin = max(r.umin, u64(r.smin));
  }
}

function deduceMixed(r: RegState): void {
  const hi = ~0xffff_ffffn;
  r.umin = max(r.umin, u64((r.umin & hi) | r.u32min));
  r.umax = min(r.umax, u64((r.umax & hi) | r.u32max));
  r.smin = max(r.smin, s64((u64(r.smin) & hi) | r.u32min));
  r.smax = min(r.smax, s64((u64(r.smax) & hi) | r.u32max));
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min; r.smax = r.s32max;
    r.umin = r.s32min; r.umax = r.s32max;
    r.varOff = tnumIntersect(r.varOff, tnumRange(r.smin, r.smax));
  }
}

/** __reg_bound_offset: the tnum narrowed by the unsigned ranges. */
function boundOffset(r: RegState): void {
  const v64 = tnumIntersect(r.varOff, tnumRange(r.umin, r.umax));
  const v32 = tnumIntersect(tnumSubreg(v64), tnumRange(r.u32min, r.u32max));
  r.varOff = tnumOr(tnumClearSubreg(v64), v32);
}

/** reg_bounds_sync(): make the tnum and the ranges agree. */
export function regBoundsSync(r: RegState): void {
  // A known constant that every range already admits: the ranges collapse onto it (the full
  // deduction below reaches the same result, more slowly).
  if (r.varOff.mask === 0n) {
    const v = r.varOff.value, sv = s64(v), v32 = u32(v), sv32 = s32(v);
    if (r.umin <= v && v <= r.umax && r.smin <= sv && sv <= r.smax &&
      r.u32min <= v32 && v32 <= r.u32max && r.s32min <= sv32 && sv32 <= r.s32max) {
      r.umin = r.umax = v; r.smin = r.smax = sv; r.u32min = r.u32max = v32; r.s32min = r.s32max = sv32;
      return;
    }
  }
  updateRegBounds(r);
  deduce32(r); deduce64(r); deduceMixed(r);
  deduce32(r); deduce64(r); deduceMixed(r);
  boundOffset(r);
  updateRegBounds(r);
}

/** True when the ranges contradict each other (the state cannot happen). */
export function regBoundsInvalid(r: RegState): boolean {
  return r.smin > r.smax || r.umin > r.umax || r.s32min > r.s32max || r.u32min > r.u32max;
}

/** __reg_assign_32_into_64 after a 32-bit result is zero-extended. */
function assign32Into64(r: RegState): void {
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (r.s32min >= 0n && r.s32max >= 0n) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32_MAX;
  }
}

/** zext_32_to_64: a 32-bit ALU result has its upper half cleared. */
export function zext32To64(r: RegState): void {
  r.varOff = tnumSubreg(r.varOff);
  assign32Into64(r);
}

/** coerce_reg_to_size: a narrow load zero-extends `size` bytes. */
export function coerceRegToSize(r: RegState, size: number): void {
  r.varOff = tnumCast(r.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  // Below 32 bits the subregister bounds were truncated too; re-derive them from the 64-bit ones.
  if (size < 4) markReg32Unbounded(r);
  regBoundsSync(r);
}

/** A sign-extending narrow load or movsx: nothing is known beyond the sign-extended range. */
export function coerceRegToSizeSx(r: RegState, size: number): void {
  const bits = BigInt(size * 8);
  const lo = -(1n << (bits - 1n));
  const hi = (1n << (bits - 1n)) - 1n;
  if (r.varOff.mask === 0n) {
    const v = BigInt.asIntN(Number(bits), r.varOff.value);
    setConstBounds(r, v);
    return;
  }
  // The signed range keeps its bits above the width: the sign extensions of its two ends bound
  // the result when they have the same sign.
  const n = Number(bits);
  if (u64(r.smax) >> bits === u64(r.smin) >> bits) {
    const a = BigInt.asIntN(n, r.smax), b = BigInt.asIntN(n, r.smin);
    const mx = a > b ? a : b, mn = a > b ? b : a;
    if ((mx >= 0n) === (mn >= 0n)) {
      r.smin = mn; r.s32min = s32(u64(mn)); r.smax = mx; r.s32max = s32(u64(mx));
      r.umin = u64(mn); r.u32min = u32(u64(mn)); r.umax = u64(mx); r.u32max = u32(u64(mx));
      r.varOff = tnumRange(u64(mn), u64(mx));
      return;
    }
  }
  markReg64Unbounded(r);
  markReg32Unbounded(r);
  r.varOff = { value: 0n, mask: U64_MAX };
  r.smin = lo; r.smax = hi;
  if (size < 4) { r.s32min = lo; r.s32max = hi; }
  regBoundsSync(r);
}

function setConstBounds(r: RegState, v: bigint): void {
  const x = u64(v);
  r.varOff = { value: x, mask: 0n };
  r.smin = r.smax = s64(x);
  r.umin = r.umax = x;
  r.s32min = r.s32max = s32(x);
  r.u32min = r.u32max = u32(x);
}

export { S64_MIN, S64_MAX, U64_MAX, S32_MIN, S32_MAX, U32_MAX };

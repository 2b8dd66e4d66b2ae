/**
 * Tristate numbers: a 64-bit value whose bits are each known 0, known 1 or unknown. `value` holds
 * the known 1 bits, `mask` the unknown ones (never both set). The verifier tracks every scalar's
 * bits this way beside its ranges.
 * Mirrors kernel/bpf/tnum.c (v6.18). All fields are u64 bigints.
 */

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

const U64 = (1n << 64n) - 1n;
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);

export function tnum(value: bigint, mask: bigint): Tnum {
  return { value: u64(value), mask: u64(mask) };
}

export const TNUM_UNKNOWN: Tnum = tnum(0n, U64);

export function tnumConst(value: bigint): Tnum {
  return tnum(value, 0n);
}

/** Index (1-based) of the highest set bit; 0 for 0. The kernel's fls64. */
function fls64(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** The smallest tnum holding every value of [min, max] (unsigned). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = u64(min ^ max);
  const bits = fls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return tnum(min & ~delta, delta);
}

export function tnumLshift(a: Tnum, shift: number): Tnum {
  return tnum(a.value << BigInt(shift), a.mask << BigInt(shift));
}

export function tnumRshift(a: Tnum, shift: number): Tnum {
  return tnum(a.value >> BigInt(shift), a.mask >> BigInt(shift));
}

/** Arithmetic right shift at 32 or 64 bits (the sign bit is the one of that width). */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64): Tnum {
  const s = BigInt(shift);
  if (bits === 32) {
    return tnum(BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> s), BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> s));
  }
  return tnum(BigInt.asIntN(64, a.value) >> s, BigInt.asIntN(64, a.mask) >> s);
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return tnum(sv & ~mu, mu);
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return tnum(dv & ~mu, mu);
}

export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(tnumConst(0n), a);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return tnum(v, alpha & beta & ~v);
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return tnum(v, mu & ~v);
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return tnum(v & ~mu, mu);
}

/** Multiplication: accumulate the partial products of the bits of `a` (the kernel's tnum_mul). */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  const accV = u64(a.value * b.value);
  let accM = tnum(0n, 0n);
  while (a.value !== 0n || a.mask !== 0n) {
    if ((a.value & 1n) !== 0n) accM = tnumAdd(accM, tnum(0n, b.mask));
    else if ((a.mask & 1n) !== 0n) accM = tnumAdd(accM, tnum(0n, b.value | b.mask));
    a = tnumRshift(a, 1);
    b = tnumLshift(b, 1);
  }
  return tnumAdd(tnum(accV, 0n), accM);
}

/** What both a and b say about the bits (both are known to hold the same value). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return tnum(v & ~mu, mu);
}

/** Truncate to `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = (1n << BigInt(size * 8)) - 1n;
  return tnum(a.value & m, a.mask & m);
}

export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}

export function tnumIsUnknown(a: Tnum): boolean {
  return a.mask === U64;
}

export function tnumEquals(a: Tnum, b: Tnum): boolean {
  return a.value === b.value && a.mask === b.mask;
}

export function tnumEqualsConst(a: Tnum, v: bigint): boolean {
  return a.mask === 0n && a.value === u64(v);
}

export function tnumIsAligned(a: Tnum, size: number): boolean {
  if (size === 0) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

/** True when every value b may hold, a may hold too. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask) !== 0n) return false;
  return a.value === (b.value & ~a.mask);
}

export function tnumSubreg(a: Tnum): Tnum {
  return tnumCast(a, 4);
}

export function tnumClearSubreg(a: Tnum): Tnum {
  return tnumLshift(tnumRshift(a, 32), 32);
}

export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
}

export function tnumConstSubreg(a: Tnum, value: bigint): Tnum {
  return tnumWithSubreg(a, tnumConst(value));
}

/** `(0x0; 0xff)`, the kernel's tnum_strn. */
export function tnumStr(a: Tnum): string {
  if (a.mask === 0n) return a.value <= 0xffffn ? a.value.toString() : `0x${a.value.toString(16)}`;
  return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
}

/** Reverses the low `bytes` bytes of x (the rest is dropped). */
function swapBytes(x: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** tnum_bswap16/32/64: the bytes of the low `bits` bits swapped, value and mask alike. */
export function tnumBswap(a: Tnum, bits: 16 | 32 | 64): Tnum {
  return tnum(swapBytes(a.value, bits / 8), swapBytes(a.mask, bits / 8));
}

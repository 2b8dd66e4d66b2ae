/**
 * The one place 64-bit values cross between bigint and number. Registers, imm64, helper
 * arguments and nanoseconds are bigint (stored as u64); sizes and indices are number.
 */
import { InternalError } from './errors.ts';

export const U64_MASK = 0xffff_ffff_ffff_ffffn;
export const U32_MASK = 0xffff_ffffn;

/** Reduce to an unsigned 64-bit value. */
export function u64(x: bigint): bigint {
  return BigInt.asUintN(64, x);
}

/** Signed 64-bit view of a u64. */
export function s64(x: bigint): bigint {
  return BigInt.asIntN(64, x);
}

/** Low 32 bits, unsigned, as bigint. */
export function u32n(x: bigint): bigint {
  return BigInt.asUintN(32, x);
}

/** Signed 32-bit view, as bigint. */
export function s32n(x: bigint): bigint {
  return BigInt.asIntN(32, x);
}

/** A u64 as a JS number; throws when it does not fit exactly (never truncates silently). */
export function toSafeNumber(x: bigint): number {
  if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new InternalError(`64-bit value ${x} does not fit a JS number`);
  }
  return Number(x);
}

/** Low 32 bits of a 64-bit value as an unsigned JS number. */
export function lo32(x: bigint): number {
  return Number(x & U32_MASK);
}

/** Sign-extend a 32-bit immediate (given as a JS number) to a u64 bigint. */
export function sext32(imm: number): bigint {
  return BigInt.asUintN(64, BigInt(imm | 0));
}

/** A 32-bit value as a u64 bigint with zero extension. */
export function zext32(x: number): bigint {
  return BigInt(x >>> 0);
}

/** Lower-case hex of a u64, `0x` prefixed. */
export function hex64(x: bigint): string {
  return `0x${u64(x).toString(16)}`;
}

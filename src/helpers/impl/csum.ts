/**
 * bpf_csum_diff(from, from_size, to, to_size, seed) as 6.18 computes it (net/core/filter.c):
 * any sizes (older kernels required multiples of 4 and at most 512 bytes; 6.18 checks neither,
 * confirmed on the kernel); with both buffers, the partial sum of `to`
 * (seeded) minus that of `from`; with only `to`, its seeded sum; with only `from`, the complement
 * of its sum seeded with the complemented seed; with neither, the seed. The 32-bit result is
 * then folded to 16 bits (csum_from32to16), so every architecture agrees. (Checked against the
 * 6.18 kernel: src/helpers/impl/csum.test.ts.)
 */
import type { HelperFn } from '../../vm/abi.ts';
import { readMem } from './memory-access.ts';

const M32 = 0xffff_ffff;

/** 32-bit one's complement addition (end-around carry), csum_add. */
function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return (s > M32 ? s - M32 : s) >>> 0;
}

/**
 * The 32-bit partial checksum of `bytes` plus `seed`, as x86-64's csum_partial computes it: little
 * endian words, a trailing 1-3 bytes zero-padded into a last word (x86 loads the tail zero-padded).
 */
export function csumPartial(bytes: Uint8Array, seed: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = seed >>> 0;
  const whole = bytes.length & ~3;
  for (let i = 0; i < whole; i += 4) sum = csumAdd(sum, view.getUint32(i, true));
  let tail = 0;
  for (let i = bytes.length - 1; i >= whole; i--) tail = (tail << 8) | bytes[i]!;
  return whole === bytes.length ? sum : csumAdd(sum, tail >>> 0);
}

/** Fold a 32-bit partial checksum to 16 bits, csum_from32to16. */
export function csumFrom32To16(sum: number): number {
  const s = ((sum >>> 0) + (((sum >>> 16) | (sum << 16)) >>> 0)) >>> 0;
  return s >>> 16;
}

export const csumDiff: HelperFn = (env, from, fromSize, to, toSize, seed) => {
  const nFrom = Number(fromSize & 0xffff_ffffn);
  const nTo = Number(toSize & 0xffff_ffffn);
  const seed32 = Number(seed & 0xffff_ffffn);
  const sumOf = (ptr: bigint, n: number, s: number): number => csumPartial(readMem(env.memory, ptr, n, env.insnIdx), s);
  let result: number;
  if (nFrom > 0 && nTo > 0) result = csumFrom32To16(csumAdd(sumOf(to, nTo, seed32), ~sumOf(from, nFrom, 0) >>> 0));
  else if (nTo > 0) result = csumFrom32To16(sumOf(to, nTo, seed32));
  else if (nFrom > 0) result = csumFrom32To16(~sumOf(from, nFrom, ~seed32 >>> 0) >>> 0);
  else result = csumFrom32To16(seed32);
  return BigInt(result);
};

/**
 * Bob Jenkins' lookup3 hash ("jhash", public domain, 2006), the function the kernel's hash maps
 * use: keys whose size is a multiple of 4 are hashed as 32-bit words (jhash2), others byte-wise
 * (jhash). Words are read little-endian, as on x86-64 and arm64. Written from the published
 * algorithm; with the same seed it gives the kernel's bucket choice, so a BPF_F_ZERO_SEED map
 * iterates in the kernel's order.
 * Works in node / browser.
 */

/** The lookup3 initial value. */
export const JHASH_INITVAL = 0xdeadbeef;

function rol(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

interface Abc {
  a: number;
  b: number;
  c: number;
}

/** Reversible mixing of three 32-bit words. */
function mix(s: Abc): void {
  let { a, b, c } = s;
  a = (a - c) >>> 0; a = (a ^ rol(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol(b, 4)) >>> 0; b = (b + a) >>> 0;
  s.a = a; s.b = b; s.c = c;
}

/** Final mixing of three words into c. */
function final(s: Abc): void {
  let { a, b, c } = s;
  c = (c ^ b) >>> 0; c = (c - rol(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol(b, 24)) >>> 0;
  s.a = a; s.b = b; s.c = c;
}

/** jhash of `len` bytes at `off` in `u8`. */
export function jhashBytes(u8: Uint8Array, off: number, len: number, seed: number): number {
  const init = (JHASH_INITVAL + len + seed) >>> 0;
  const s: Abc = { a: init, b: init, c: init };
  let p = off;
  let n = len;
  const w = (i: number): number => (u8[p + i]! | (u8[p + i + 1]! << 8) | (u8[p + i + 2]! << 16) | (u8[p + i + 3]! << 24)) >>> 0;
  while (n > 12) {
    s.a = (s.a + w(0)) >>> 0;
    s.b = (s.b + w(4)) >>> 0;
    s.c = (s.c + w(8)) >>> 0;
    mix(s);
    n -= 12;
    p += 12;
  }
  if (n === 0) return s.c;
  // The tail: byte i of the last 1..12 goes into word i / 4 at bit 8 * (i % 4).
  const acc = [0, 0, 0];
  for (let i = 0; i < n; i++) acc[i >> 2] = (acc[i >> 2]! + (u8[p + i]! << (8 * (i & 3)))) >>> 0;
  s.a = (s.a + acc[0]!) >>> 0;
  s.b = (s.b + acc[1]!) >>> 0;
  s.c = (s.c + acc[2]!) >>> 0;
  final(s);
  return s.c;
}

/** jhash2 of `nWords` little-endian 32-bit words at `off` in `u8`. */
export function jhashWords(u8: Uint8Array, off: number, nWords: number, seed: number): number {
  const init = (JHASH_INITVAL + (nWords << 2) + seed) >>> 0;
  const s: Abc = { a: init, b: init, c: init };
  let p = off;
  let n = nWords;
  const w = (i: number): number => (u8[p + i]! | (u8[p + i + 1]! << 8) | (u8[p + i + 2]! << 16) | (u8[p + i + 3]! << 24)) >>> 0;
  while (n > 3) {
    s.a = (s.a + w(0)) >>> 0;
    s.b = (s.b + w(4)) >>> 0;
    s.c = (s.c + w(8)) >>> 0;
    mix(s);
    n -= 3;
    p += 12;
  }
  if (n === 0) return s.c;
  if (n >= 3) s.c = (s.c + w(8)) >>> 0;
  if (n >= 2) s.b = (s.b + w(4)) >>> 0;
  s.a = (s.a + w(0)) >>> 0;
  final(s);
  return s.c;
}

/** The hash-map key hash: word-wise when the key size is a multiple of 4, else byte-wise. */
export function htabHash(u8: Uint8Array, off: number, keySize: number, seed: number): number {
  return keySize % 4 === 0 ? jhashWords(u8, off, keySize / 4, seed) : jhashBytes(u8, off, keySize, seed);
}

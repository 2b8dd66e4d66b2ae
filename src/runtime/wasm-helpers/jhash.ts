/**
 * The hash maps' key hash (src/maps/jhash.ts: lookup3, word-wise for key sizes that are a
 * multiple of 4, byte-wise otherwise) emitted as straight-line WebAssembly for one key size and
 * seed, both known when the program is compiled. The constant parts (the initial value) are
 * folded; the rounds are those of jhash.ts, which stays the reference (tests compare the two).
 * Works in node / browser.
 */
import { JHASH_INITVAL } from '../../maps/jhash.ts';
import type { FnBuilder } from './fn-builder.ts';

/** Largest key size hashed in line (bigger keys use the JS helper). */
export const MAX_INLINE_KEY_BYTES = 256;

interface Abc {
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

/** `x = x op rotl(y, k)` for op sub or xor, on i32 locals. */
function opRot(f: FnBuilder, x: number, op: 'i32.sub' | 'i32.xor', y: number, k: number): void {
  f.w.get(x).get(y).i32(k).op('i32.rotl').op(op).set(x);
}

/** `x = x op y` for op add, sub or xor. */
function op2(f: FnBuilder, x: number, op: 'i32.add' | 'i32.sub' | 'i32.xor', y: number): void {
  f.w.get(x).get(y).op(op).set(x);
}

/** lookup3 mix(). */
function mix(f: FnBuilder, { a, b, c }: Abc): void {
  const round = (x: number, y: number, z: number, k: number): void => {
    op2(f, x, 'i32.sub', z);
    opRot(f, x, 'i32.xor', z, k);
    op2(f, z, 'i32.add', y);
  };
  round(a, b, c, 4);
  round(b, c, a, 6);
  round(c, a, b, 8);
  round(a, b, c, 16);
  round(b, c, a, 19);
  round(c, a, b, 4);
}

/** lookup3 final(). */
function final(f: FnBuilder, { a, b, c }: Abc): void {
  const step = (x: number, y: number, k: number): void => {
    op2(f, x, 'i32.xor', y);
    opRot(f, x, 'i32.sub', y, k);
  };
  step(c, b, 14);
  step(a, c, 11);
  step(b, a, 25);
  step(c, b, 16);
  step(a, c, 4);
  step(b, a, 14);
  step(c, b, 24);
}

/** `x += the little-endian word of `n` bytes (1..4) at key + off`. */
function addWord(f: FnBuilder, x: number, key: number, off: number, n: number): void {
  const w = f.w;
  w.get(x);
  if (n === 4) w.get(key).mem('i32.load', off);
  else {
    for (let i = 0; i < n; i++) {
      w.get(key).mem('i32.load8_u', off + i);
      if (i > 0) w.i32(8 * i).op('i32.shl').op('i32.or');
    }
  }
  w.op('i32.add').set(x);
}

/**
 * Emit `out = htabHash(key bytes at the i32 local key, keySize, seed)`.
 * @throws {RangeError} never: callers check keySize <= MAX_INLINE_KEY_BYTES first.
 */
export function emitKeyHash(f: FnBuilder, key: number, keySize: number, seed: number, out: number): void {
  const s: Abc = { a: f.i32Local(), b: f.i32Local(), c: f.i32Local() };
  const init = (JHASH_INITVAL + keySize + seed) | 0; // jhash2: JHASH_INITVAL + (nWords << 2) + seed, the same sum
  f.w.i32(init).set(s.a).i32(init).set(s.b).i32(init).set(s.c);
  let p = 0;
  if (keySize % 4 === 0) {
    let n = keySize / 4;
    while (n > 3) {
      addWord(f, s.a, key, p, 4);
      addWord(f, s.b, key, p + 4, 4);
      addWord(f, s.c, key, p + 8, 4);
      mix(f, s);
      n -= 3;
      p += 12;
    }
    if (n >= 3) addWord(f, s.c, key, p + 8, 4);
    if (n >= 2) addWord(f, s.b, key, p + 4, 4);
    addWord(f, s.a, key, p, 4);
    final(f, s);
  } else {
    let n = keySize;
    while (n > 12) {
      addWord(f, s.a, key, p, 4);
      addWord(f, s.b, key, p + 4, 4);
      addWord(f, s.c, key, p + 8, 4);
      mix(f, s);
      n -= 12;
      p += 12;
    }
    const words = [s.a, s.b, s.c];
    for (let k = 0; k * 4 < n; k++) addWord(f, words[k]!, key, p + 4 * k, Math.min(4, n - 4 * k));
    final(f, s);
  }
  f.w.get(s.c).set(out);
}

/**
 * The runtime's bpf_get_prandom_u32 generator with its state in the address space, so that JS
 * helpers and JIT code draw from one sequence: the generator of helpers/impl/context.ts
 * (seededRandom: xoshiro128** over four u32 words, the same seeding), with the four words in a
 * 16-byte region BPF code cannot write (a scratch region, never handed to programs). next() is
 * the JS side; emitNext() the same step in WebAssembly over the same words. Tests check both
 * against seededRandom, interleaved. Works in node / browser.
 */
import type { CodeWriter } from '../../jit/wasm/encoder.ts';
import type { AddressSpace, Region } from '../../vm/memory.ts';

/** A xoshiro128** generator whose state lives in linear memory. */
export class SharedRandom {
  readonly region: Region;

  /** Seeds as seededRandom(seed) does. */
  constructor(memory: AddressSpace, seed: number) {
    this.region = memory.alloc(16, { kind: 'scratch', name: 'prandom state', writable: false });
    const dv = this.region.view();
    dv.setUint32(0, (seed ^ 0x9e3779b9) >>> 0 || 1, true);
    dv.setUint32(4, (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 2, true);
    dv.setUint32(8, 0x27d4eb2f, true);
    dv.setUint32(12, 0x165667b1, true);
  }

  /** The next u32. */
  next(): number {
    const dv = this.region.view();
    let s0 = dv.getUint32(0, true);
    let s1 = dv.getUint32(4, true);
    let s2 = dv.getUint32(8, true);
    let s3 = dv.getUint32(12, true);
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    dv.setUint32(0, s0, true);
    dv.setUint32(4, s1, true);
    dv.setUint32(8, s2, true);
    dv.setUint32(12, s3, true);
    return result;
  }

  /**
   * Emit the same step, leaving the result zero-extended to i64 (bpf_get_prandom_u32's R0).
   * `s` are four i32 scratch locals for the state words, `t` one more.
   */
  emitNext(w: CodeWriter, s: readonly [number, number, number, number], t: number): void {
    const base = this.region.offset;
    const [s0, s1, s2, s3] = s;
    for (let i = 0; i < 4; i++) w.i32(0).mem('i32.load', base + 4 * i).set(s[i]!);
    const xorInto = (x: number, y: number): void => { w.get(x).get(y).op('i32.xor').set(x); };
    w.get(s1).i32(9).op('i32.shl').set(t);
    xorInto(s2, s0);
    xorInto(s3, s1);
    // The result is computed from s1 before it changes: rotl(s1 * 5, 7) * 9, kept on the stack.
    w.get(s1).i32(5).op('i32.mul').i32(7).op('i32.rotl').i32(9).op('i32.mul');
    xorInto(s1, s2);
    xorInto(s0, s3);
    xorInto(s2, t);
    w.get(s3).i32(11).op('i32.rotl').set(s3);
    for (let i = 0; i < 4; i++) w.i32(0).get(s[i]!).mem('i32.store', base + 4 * i);
    w.op('i64.extend_i32_u');
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

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
import { randomSeedState, randomStep } from '../../helpers/impl/context.ts';

/** A xoshiro128** generator whose state lives in linear memory. */
export class SharedRandom {
  readonly region: Region;

  /** Seeds as seededRandom(seed) does. */
  constructor(memory: AddressSpace, seed: number) {
    this.region = memory.alloc(16, { kind: 'scratch', name: 'prandom state', writable: false });
    this.#store(randomSeedState(seed));
  }

  /** The next u32: the JS step over the words in memory. */
  next(): number {
    const dv = this.region.view();
    const state = Uint32Array.from({ length: 4 }, (_, i) => dv.getUint32(4 * i, true));
    const result = randomStep(state);
    this.#store(state);
    return result;
  }

  #store(state: Uint32Array): void {
    const dv = this.region.view();
    state.forEach((word, i) => dv.setUint32(4 * i, word, true));
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


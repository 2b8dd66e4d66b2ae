/**
 * A small builder for the Wasm functions of the runtime's helpers: parameters and named locals,
 * and the few idioms the generators repeat (i32 loads and stores at a local plus a constant
 * offset, early returns). Code is written through the JIT's CodeWriter and its opcode table.
 * Works in node / browser.
 */
import { CodeWriter } from '../../jit/wasm/encoder.ts';
import { I32, I64, type ValType } from '../../jit/wasm/opcodes.ts';
import type { SharedFunction } from '../../jit/inline.ts';

/** A function under construction. */
export class FnBuilder {
  readonly w = new CodeWriter();
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  private readonly locals: ValType[] = [];

  constructor(params: readonly ValType[], results: readonly ValType[]) {
    this.params = params;
    this.results = results;
  }

  /** A new local of type `t`; returns its index. */
  local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }

  i32Local(): number {
    return this.local(I32);
  }

  i64Local(): number {
    return this.local(I64);
  }

  /** Push the u32 at `base` (an i32 local) + `offset`. */
  load32(base: number, offset: number): this {
    this.w.get(base).mem('i32.load', offset);
    return this;
  }

  /** Store the i32 `value` pushes at `base` (an i32 local) + `offset`. */
  store32(base: number, offset: number, value: () => void): this {
    this.w.get(base);
    value();
    this.w.mem('i32.store', offset);
    return this;
  }

  /** Store the constant byte `v` at `base` + `offset`. */
  store8(base: number, offset: number, v: number): this {
    this.w.get(base).i32(v).mem('i32.store8', offset);
    return this;
  }

  /** `if (cond) return value` where `cond` pushes an i32 and `value` an i64. */
  returnIf(cond: () => void, value: () => void): this {
    cond();
    this.w.open('if');
    value();
    this.w.op('return').op('end');
    return this;
  }

  /** The finished function. */
  finish(): SharedFunction {
    return { params: this.params, results: this.results, locals: this.locals, body: this.w };
  }
}

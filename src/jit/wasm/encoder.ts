/**
 * A small WebAssembly binary encoder (WebAssembly Core 2.0, chapter 5): LEB128, function bodies
 * written through the opcode table, and a module builder for the sections the JIT needs (types,
 * imports, functions, globals, exports, code). Works in node / browser.
 */
import { InternalError } from '../../util/errors.ts';
import {
  BLOCK_VOID, EXT_FUNC, EXT_GLOBAL, EXT_MEMORY, FC_PREFIX, FUNC_TYPE, OP, OP_FC, SEC_CODE,
  SEC_EXPORT, SEC_FUNCTION, SEC_GLOBAL, SEC_IMPORT, SEC_TYPE, type Op, type OpFc, type ValType,
} from './opcodes.ts';

const UTF8 = new TextEncoder();

/** A growable byte buffer with the LEB128 encodings of the binary format. */
export class ByteBuf {
  // Most buffers are small (names, exports, locals): start small, double on demand.
  private buf = new Uint8Array(32);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): this {
    this.reserve(1);
    this.buf[this.length++] = b & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** Unsigned LEB128 of a u32. */
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new InternalError(`u32 LEB of ${v}`);
    let x = v;
    do {
      let b = x & 0x7f;
      x = Math.floor(x / 128);
      if (x !== 0) b |= 0x80;
      this.byte(b);
    } while (x !== 0);
    return this;
  }

  /** Signed LEB128 of an s32. */
  s32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** Signed LEB128 of a 64-bit value (given as any bigint; reduced to s64). */
  s64(v: bigint): this {
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      const done = (x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** A UTF-8 name with its length. */
  name(s: string): this {
    if (/^[\x00-\x7f]*$/.test(s)) {
      this.u32(s.length);
      for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
      return this;
    }
    const b = UTF8.encode(s);
    return this.u32(b.length).bytes(b);
  }

  /** A vector of already-encoded parts. */
  vec(items: readonly ByteBuf[]): this {
    this.u32(items.length);
    for (const it of items) this.bytes(it.finish());
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** The body of one function: typed helpers over the opcode table. */
export class CodeWriter extends ByteBuf {
  op(name: Op): this {
    return this.byte(OP[name]);
  }

  fc(name: OpFc): this {
    return this.byte(FC_PREFIX).u32(OP_FC[name]);
  }

  i32(v: number): this {
    return this.op('i32.const').s32(v);
  }

  i64(v: bigint): this {
    return this.op('i64.const').s64(v);
  }

  get(local: number): this {
    return this.op('local.get').u32(local);
  }

  set(local: number): this {
    return this.op('local.set').u32(local);
  }

  tee(local: number): this {
    return this.op('local.tee').u32(local);
  }

  gget(global: number): this {
    return this.op('global.get').u32(global);
  }

  gset(global: number): this {
    return this.op('global.set').u32(global);
  }

  /** A load or store with alignment hint 0 and offset `offset`. */
  mem(name: Op, offset = 0): this {
    return this.op(name).u32(0).u32(offset);
  }

  call(func: number): this {
    return this.op('call').u32(func);
  }

  br(depth: number): this {
    return this.op('br').u32(depth);
  }

  /** `block`, `loop` or `if` with no parameters or results, or with one result type. */
  open(kind: 'block' | 'loop' | 'if', result?: ValType): this {
    return this.op(kind).byte(result ?? BLOCK_VOID);
  }
}

/** A function signature. */
export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

interface Global {
  readonly type: ValType;
  readonly mutable: boolean;
  readonly init: bigint;
}

interface Func {
  readonly typeIdx: number;
  readonly locals: readonly ValType[];
  body: CodeWriter | undefined;
}

/**
 * Builds one module. Imported functions come first in the function index space, as the format
 * requires: declare every import before the first defined function.
 */
export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly imports: ByteBuf[] = [];
  private importedFuncs = 0;
  private readonly funcs: Func[] = [];
  private readonly globals: Global[] = [];
  private readonly exports: ByteBuf[] = [];

  /** Index of `t` in the type section (deduplicated). */
  typeIndex(t: FuncType): number {
    const i = this.types.findIndex((u) => sameList(u.params, t.params) && sameList(u.results, t.results));
    if (i >= 0) return i;
    this.types.push(t);
    return this.types.length - 1;
  }

  /** Import a function; returns its function index. */
  importFunc(module: string, name: string, t: FuncType): number {
    if (this.funcs.length > 0) throw new InternalError('imports must be declared before functions');
    this.imports.push(new ByteBuf().name(module).name(name).byte(EXT_FUNC).u32(this.typeIndex(t)));
    return this.importedFuncs++;
  }

  /** Import a memory with at least `minPages` pages and no declared maximum. */
  importMemory(module: string, name: string, minPages: number): void {
    this.imports.push(new ByteBuf().name(module).name(name).byte(EXT_MEMORY).byte(0x00).u32(minPages));
  }

  /** Declare a function (its body is set later with {@link setBody}); returns its index. */
  addFunc(t: FuncType, locals: readonly ValType[]): number {
    this.funcs.push({ typeIdx: this.typeIndex(t), locals, body: undefined });
    return this.importedFuncs + this.funcs.length - 1;
  }

  setBody(funcIdx: number, body: CodeWriter): void {
    const f = this.funcs[funcIdx - this.importedFuncs];
    if (f === undefined) throw new InternalError(`no defined function ${funcIdx}`);
    f.body = body;
  }

  /** Declare a module-defined global; returns its index. */
  addGlobal(type: ValType, mutable: boolean, init: bigint): number {
    this.globals.push({ type, mutable, init });
    return this.globals.length - 1;
  }

  exportFunc(name: string, funcIdx: number): void {
    this.exports.push(new ByteBuf().name(name).byte(EXT_FUNC).u32(funcIdx));
  }

  exportGlobal(name: string, globalIdx: number): void {
    this.exports.push(new ByteBuf().name(name).byte(EXT_GLOBAL).u32(globalIdx));
  }

  /** The module's bytes. @throws {InternalError} when a declared function has no body. */
  finish(): Uint8Array {
    const out = new ByteBuf().bytes(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    section(out, SEC_TYPE, new ByteBuf().vec(this.types.map((t) =>
      new ByteBuf().byte(FUNC_TYPE).u32(t.params.length).bytes(Uint8Array.from(t.params))
        .u32(t.results.length).bytes(Uint8Array.from(t.results)))));
    section(out, SEC_IMPORT, new ByteBuf().vec(this.imports));
    section(out, SEC_FUNCTION, new ByteBuf().vec(this.funcs.map((f) => new ByteBuf().u32(f.typeIdx))));
    section(out, SEC_GLOBAL, new ByteBuf().vec(this.globals.map((g) => {
      const b = new ByteBuf().byte(g.type).byte(g.mutable ? 1 : 0);
      if (g.type === 0x7e) b.byte(OP['i64.const']).s64(g.init);
      else b.byte(OP['i32.const']).s32(Number(BigInt.asIntN(32, g.init)));
      return b.byte(OP.end);
    })));
    section(out, SEC_EXPORT, new ByteBuf().vec(this.exports));
    section(out, SEC_CODE, new ByteBuf().vec(this.funcs.map((f, i) => {
      if (f.body === undefined) throw new InternalError(`function ${this.importedFuncs + i} has no body`);
      const entry = new ByteBuf();
      // Locals are run-length encoded as (count, type) pairs.
      const runs: [number, ValType][] = [];
      for (const t of f.locals) {
        const last = runs[runs.length - 1];
        if (last !== undefined && last[1] === t) last[0]++;
        else runs.push([1, t]);
      }
      entry.u32(runs.length);
      for (const [n, t] of runs) entry.u32(n).byte(t);
      entry.bytes(f.body.finish()).byte(OP.end);
      // Each code entry is prefixed by its size in bytes.
      const bytes = entry.finish();
      return new ByteBuf().u32(bytes.length).bytes(bytes);
    })));
    return out.finish();
  }
}

function section(out: ByteBuf, id: number, content: ByteBuf): void {
  const bytes = content.finish();
  out.byte(id).u32(bytes.length).bytes(bytes);
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

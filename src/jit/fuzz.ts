/**
 * Differential fuzzing of the JIT against the reference interpreter.
 *
 * `generateProgram` builds random programs that are valid by construction: registers are read
 * only once written, stack accesses stay in the frame, buffer accesses in the 64-byte buffer
 * (pointer in R6), loops are bounded by a counter in R9, bpf-to-bpf calls go to generated
 * subprograms, and helper calls go to fake helpers that record their arguments (one writes
 * memory, one calls a callback through HelperEnv.callFunction). `mutateProgram` flips fields of
 * such a program (it may become invalid: both engines must then fail the same way).
 * `runDifferential` runs a program on both engines over the same memory and compares R0 (or the
 * error), the buffer contents and the helper-call trace. Works in node / browser.
 */
import { program, type BuiltInsn, type Label } from '../isa/build.ts';
import type { Insn } from '../isa/insn.ts';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_CMPXCHG,
  BPF_DIV, BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_H, BPF_IND, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT,
  BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K,
  BPF_LD, BPF_LD_IMM64, BPF_LDX, BPF_LOAD_ACQ, BPF_LSH, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL,
  BPF_NEG, BPF_OR, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_RSH, BPF_ST, BPF_STORE_REL, BPF_STX, BPF_SUB,
  BPF_TO_BE, BPF_W, BPF_X, BPF_XCHG, BPF_XOR,
} from '../isa/opcodes.ts';
import { isBpfError } from '../util/errors.ts';
import { hex64 } from '../util/u64.ts';
import type { HelperFn, HelperLookup } from '../vm/abi.ts';
import { Interpreter } from '../vm/interpreter.ts';
import { regUsage } from '../vm/reg-usage.ts';
import { ADDR_BASE, ADDR_LIMIT, type AddressSpace } from '../vm/memory.ts';
import { compileProgramSync } from './program.ts';

/** The size of the buffer whose pointer the programs get in R1. */
export const FUZZ_BUFFER_BYTES = 64;

/** A small seeded PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
  /** An interesting 32-bit immediate. */
  imm(): number {
    return this.pick([0, 1, -1, 2, 3, 7, 8, 31, 32, 63, 64, 0x7fffffff, -0x80000000, 0xff, 0xffff, -2, this.u32() | 0, this.int(100)]);
  }
}

const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH];
const JMP_OPS = [BPF_JEQ, BPF_JNE, BPF_JSET, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE];
const SIZES = [BPF_B, BPF_H, BPF_W, BPF_DW];
const SIZE_BYTES: Record<number, number> = { [BPF_B]: 1, [BPF_H]: 2, [BPF_W]: 4, [BPF_DW]: 8 };
/** Registers random code may write: R6 holds the buffer, R9 loop counters, R10 the frame. */
const SCRATCH = [0, 1, 2, 3, 4, 5, 7, 8];
/** Fake helper ids: 1 records and returns a hash, 2 stores r2 at the pointer r1, 3 calls r1 back. */
export const FUZZ_HELPER_HASH = 1;
export const FUZZ_HELPER_STORE = 2;
export const FUZZ_HELPER_CALLBACK = 3;

type Item = BuiltInsn | Label;

function raw(code: number, dst: number, src: number, off: number, imm: number, jumpTo?: string, jumpField?: 'off' | 'imm'): BuiltInsn {
  return jumpTo === undefined ? { code, dst, src, off, imm } : { code, dst, src, off, imm, jumpTo, jumpField: jumpField ?? 'off' };
}

class Gen {
  readonly rng: Rng;
  readonly out: Item[] = [];
  private labels = 0;
  /** Subprogram labels callable from here (deeper ones only, so there is no recursion). */
  readonly callees: string[];
  readonly callbacks: string[];
  private budget: number;

  constructor(rng: Rng, callees: string[], callbacks: string[], budget: number) {
    this.rng = rng;
    this.callees = callees;
    this.callbacks = callbacks;
    this.budget = budget;
  }

  label(): string {
    return `L${this.labels++}_${this.rng.u32().toString(36)}`;
  }

  /** A readable register from `init`, or undefined. */
  private readable(init: number): number | undefined {
    const regs = SCRATCH.filter((r) => (init & (1 << r)) !== 0);
    return regs.length === 0 ? undefined : this.rng.pick(regs);
  }

  /** Emit a segment; returns the readable mask at its end. */
  segment(init: number, depth: number, inLoop: boolean): number {
    let m = init;
    const n = 1 + this.rng.int(6);
    for (let i = 0; i < n && this.budget > 0; i++) {
      this.budget--;
      m = this.step(m, depth, inLoop);
    }
    return m;
  }

  private step(init: number, depth: number, inLoop: boolean): number {
    const r = this.rng;
    const dst = r.pick(SCRATCH);
    const src = this.readable(init);
    const k = r.int(100);
    if (k < 30 || src === undefined) {
      // ALU
      const is64 = r.chance(0.6);
      const cls = is64 ? BPF_ALU64 : BPF_ALU;
      const dstInit = (init & (1 << dst)) !== 0;
      let op = r.pick(ALU_OPS);
      if (!dstInit) op = BPF_MOV;
      const useReg = src !== undefined && r.chance(0.5);
      let off = 0;
      if (op === BPF_DIV || op === BPF_MOD) off = r.pick([0, 1]);
      if (op === BPF_MOV && useReg && r.chance(0.2)) off = is64 ? r.pick([8, 16, 32]) : r.pick([8, 16]);
      this.out.push(raw(cls | op | (useReg ? BPF_X : BPF_K), dst, useReg ? src : 0, off, useReg ? 0 : r.imm()));
      return init | (1 << dst);
    }
    if (k < 36) {
      const x = src;
      const which = r.int(3);
      if (which === 0) this.out.push(raw((r.chance(0.5) ? BPF_ALU64 : BPF_ALU) | BPF_NEG, x, 0, 0, 0));
      else if (which === 1) this.out.push(raw(BPF_ALU | BPF_END | (r.chance(0.5) ? BPF_TO_BE : 0), x, 0, 0, r.pick([16, 32, 64])));
      else this.out.push(raw(BPF_ALU64 | BPF_END, x, 0, 0, r.pick([16, 32, 64])));
      return init;
    }
    if (k < 39) {
      const v = (BigInt(r.u32()) << 32n) | BigInt(r.u32());
      this.out.push({ code: BPF_LD_IMM64, dst, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v)), imm64: v, imm2: Number(BigInt.asIntN(32, v >> 32n)) });
      return init | (1 << dst);
    }
    if (k < 52) {
      // load from the stack or the buffer
      const size = r.pick(SIZES);
      const n = SIZE_BYTES[size]!;
      const [base, off] = this.place(n);
      const sx = size !== BPF_DW && r.chance(0.3);
      this.out.push(raw(BPF_LDX | (sx ? BPF_MEMSX : BPF_MEM) | size, dst, base, off, 0));
      return init | (1 << dst);
    }
    if (k < 64) {
      const size = r.pick(SIZES);
      const [base, off] = this.place(SIZE_BYTES[size]!);
      if (r.chance(0.4)) this.out.push(raw(BPF_ST | BPF_MEM | size, base, 0, off, r.imm()));
      else this.out.push(raw(BPF_STX | BPF_MEM | size, base, src, off, 0));
      return init;
    }
    if (k < 70) {
      const size = r.pick([BPF_W, BPF_DW]);
      const [base, off] = this.place(SIZE_BYTES[size]!);
      const ops = [BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_ADD | BPF_FETCH, BPF_OR | BPF_FETCH, BPF_AND | BPF_FETCH, BPF_XOR | BPF_FETCH, BPF_XCHG, BPF_LOAD_ACQ, BPF_STORE_REL];
      if ((init & 1) !== 0) ops.push(BPF_CMPXCHG);
      const op = r.pick(ops);
      if (op === BPF_LOAD_ACQ) {
        this.out.push(raw(BPF_STX | BPF_ATOMIC | size, dst, base, off, op));
        return init | (1 << dst);
      }
      this.out.push(raw(BPF_STX | BPF_ATOMIC | size, base, src, off, op));
      return op === BPF_CMPXCHG ? init | 1 : init;
    }
    if (k < 80 && depth < 3) {
      // if / if-else over forward jumps
      const is64 = r.chance(0.7);
      const op = r.pick(JMP_OPS);
      const other = this.readable(init);
      const useReg = other !== undefined && r.chance(0.5);
      const elseL = this.label();
      this.out.push(raw((is64 ? BPF_JMP : BPF_JMP32) | op | (useReg ? BPF_X : BPF_K), src, useReg ? other : 0, 0, useReg ? 0 : r.imm(), elseL));
      const a = this.segment(init, depth + 1, inLoop);
      if (r.chance(0.5)) {
        const endL = this.label();
        this.out.push(raw(r.chance(0.8) ? BPF_JMP | BPF_JA : BPF_JMP32 | BPF_JA, 0, 0, 0, 0, endL));
        fixGotol(this.out);
        this.out.push({ label: elseL });
        const b = this.segment(init, depth + 1, inLoop);
        this.out.push({ label: endL });
        return a & b;
      }
      this.out.push({ label: elseL });
      return init & a;
    }
    if (k < 85 && !inLoop && depth < 3) {
      // bounded loop on R9
      const head = this.label();
      this.out.push(raw(BPF_ALU64 | BPF_MOV | BPF_K, 9, 0, 0, 1 + r.int(5)), { label: head });
      // Calls make R1..R5 unreadable: a second iteration may not count on them.
      const m = this.segment(init & ~0x3e, depth + 1, true);
      this.out.push(raw(BPF_ALU64 | BPF_SUB | BPF_K, 9, 0, 0, 1));
      this.out.push(raw((r.chance(0.5) ? BPF_JMP : BPF_JMP32) | BPF_JNE | BPF_K, 9, 0, 0, 0, head));
      return m & init;
    }
    if (k < 88) {
      const skip = this.label();
      this.out.push(raw(BPF_JMP | BPF_JCOND, 0, 0, 0, 0, skip));
      const m = this.segment(init, depth + 1, inLoop);
      this.out.push({ label: skip });
      return init & m;
    }
    if (k < 94) return this.helperCall(init);
    if (k < 97 && this.callees.length > 0) {
      this.out.push(raw(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0), raw(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0, r.pick(this.callees), 'imm'));
      return (init & ~0x3e) | 1;
    }
    // LD_ABS / LD_IND on the buffer (R6 is its context): sometimes out of bounds
    const size = r.pick([BPF_B, BPF_H, BPF_W]);
    if (r.chance(0.5)) this.out.push(raw(BPF_LD | BPF_ABS | size, 0, 0, 0, r.int(FUZZ_BUFFER_BYTES + 4)));
    else this.out.push(raw(BPF_LD | BPF_IND | size, 0, src, 0, r.int(FUZZ_BUFFER_BYTES)));
    return (init & ~0x3e) | 1;
  }

  /** A base register and offset for an in-bounds access of n bytes: the stack or the buffer. */
  private place(n: number): [number, number] {
    if (this.rng.chance(0.5)) return [10, -n - this.rng.int(64)];
    return [6, this.rng.int(FUZZ_BUFFER_BYTES - n + 1)];
  }

  private helperCall(init: number): number {
    const r = this.rng;
    const setArg = (reg: number, m: number): void => {
      const s = this.readable(m);
      if (s !== undefined && s !== reg && r.chance(0.5)) this.out.push(raw(BPF_ALU64 | BPF_MOV | BPF_X, reg, s, 0, 0));
      else this.out.push(raw(BPF_ALU64 | BPF_MOV | BPF_K, reg, 0, 0, r.imm()));
    };
    const id = this.callbacks.length > 0 && r.chance(0.3) ? FUZZ_HELPER_CALLBACK : r.pick([FUZZ_HELPER_HASH, FUZZ_HELPER_STORE]);
    for (const reg of [5, 4, 3, 2]) setArg(reg, init);
    if (id === FUZZ_HELPER_STORE) {
      this.out.push(raw(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0), raw(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, r.int(FUZZ_BUFFER_BYTES - 7)));
    } else if (id === FUZZ_HELPER_CALLBACK) {
      this.out.push(raw(BPF_LD_IMM64, 1, BPF_PSEUDO_FUNC, 0, 0, r.pick(this.callbacks), 'imm'));
      this.out.push(raw(BPF_ALU64 | BPF_MOV | BPF_X, 3, 6, 0, 0));
    } else setArg(1, init);
    this.out.push(raw(BPF_JMP | BPF_CALL, 0, 0, 0, id));
    return (init & ~0x3e) | 1;
  }

  /** The function's end: R0 gets a value, then exit. */
  finish(init: number): void {
    const s = this.readable(init);
    if ((init & 1) === 0 || this.rng.chance(0.3)) {
      this.out.push(s !== undefined ? raw(BPF_ALU64 | BPF_MOV | BPF_X, 0, s, 0, 0) : raw(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, this.rng.imm()));
    }
    this.out.push(raw(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  }
}

/** gotol (JMP32 | JA) keeps its offset in imm: fix the field of the last pushed jump. */
function fixGotol(out: Item[]): void {
  const last = out[out.length - 1] as BuiltInsn;
  if (last.code === (BPF_JMP32 | BPF_JA)) out[out.length - 1] = { ...last, jumpField: 'imm' };
}

/**
 * A random valid program: main, up to two bpf-to-bpf subprograms (sub0 may call sub1) and a
 * callback (R1 = index, R2 = buffer pointer).
 */
export function generateProgram(rng: Rng, maxSteps = 40): Insn[] {
  const items: Item[] = [];
  const subs = rng.int(3);
  const hasCallback = rng.chance(0.5);
  const subNames = Array.from({ length: subs }, (_, i) => `sub${i}`);
  const cbNames = hasCallback ? ['callback'] : [];
  const body = (callees: string[], callbacks: string[], entryMask: number, ptrReg: number): Item[] => {
    const g = new Gen(rng, callees, callbacks, maxSteps);
    g.out.push(raw(BPF_ALU64 | BPF_MOV | BPF_X, 6, ptrReg, 0, 0));
    g.finish(g.segment(entryMask | (1 << 6), 0, false));
    return g.out;
  };
  items.push(...body(subNames, cbNames, 0b110, 1));
  subNames.forEach((name, i) => {
    items.push({ label: name }, ...body(subNames.slice(i + 1), [], 0b10, 1));
  });
  if (hasCallback) items.push({ label: 'callback' }, ...body([], [], 0b110, 2));
  return program(items);
}

/** Flip a few fields of a program (the result may be invalid in any way). */
export function mutateProgram(rng: Rng, insns: readonly Insn[]): Insn[] {
  const out = insns.map((i) => ({ ...i }));
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) {
    const i = rng.int(out.length);
    const insn = out[i]!;
    if (insn.code === BPF_LD_IMM64) continue;
    switch (rng.int(5)) {
      case 0: out[i] = { ...insn, imm: rng.imm() }; break;
      case 1: out[i] = { ...insn, off: (insn.off + rng.pick([-2, -1, 1, 2, 8])) << 16 >> 16 }; break;
      case 2: out[i] = { ...insn, dst: rng.int(11) }; break;
      case 3: out[i] = { ...insn, src: rng.int(11) }; break;
      default: out[i] = { ...insn, code: rng.pick([insn.code ^ 0x08, insn.code ^ 0x10, insn.code ^ 0x80, (insn.code & 7) | (rng.int(16) << 4)]) & 0xff }; break;
    }
  }
  return out;
}

/**
 * True when a program uses R10 other than as the base of a memory access: its value (an
 * engine-specific stack address) could then reach memory or R0, so mutants doing so are skipped.
 */
export function leaksFramePointer(insns: readonly Insn[]): boolean {
  return insns.some((insn) => {
    const cls = insn.code & 7;
    const reads10 = (regUsage(insn).reads & (1 << 10)) !== 0;
    if (!reads10) return false;
    if (cls === BPF_LDX) return insn.src !== 10 || insn.dst === 10;
    if (cls === BPF_ST) return false;
    if (cls === BPF_STX) return insn.src === 10;
    return true;
  }) || insns.some((insn) => (regUsage(insn).writes & (1 << 10)) !== 0);
}

/** What one engine did. */
export interface EngineOutcome {
  readonly result: string;
  readonly buffer: string;
  readonly trace: readonly string[];
  /** [first, end) pointers of the buffer the run used. */
  readonly bufferRange: readonly [bigint, bigint];
}

/** Fake helpers writing a trace; the callback helper calls R1 back twice with (i, R3). */
export function fuzzHelpers(memory: AddressSpace, trace: string[]): HelperLookup {
  const hash: HelperFn = (_env, a, b, c, d, e) => {
    trace.push(`hash(${[a, b, c, d, e].map(hex64).join(',')})`);
    return BigInt.asUintN(64, (a * 31n + b * 7n + c + d * 3n + e) ^ 0x5bd1e995n);
  };
  const store: HelperFn = (env, a, b) => {
    trace.push(`store(${hex64(a)},${hex64(b)})`);
    memory.store(a, 8, b, env.insnIdx);
    return 0n;
  };
  const callback: HelperFn = (env, a, b, c) => {
    trace.push(`callback(${hex64(a)},${hex64(b)})`);
    let sum = 0n;
    for (let i = 0n; i < 2n; i++) sum += env.callFunction(a, [i, c]);
    return BigInt.asUintN(64, sum);
  };
  return (id) => (id === FUZZ_HELPER_HASH ? hash : id === FUZZ_HELPER_STORE ? store : id === FUZZ_HELPER_CALLBACK ? callback : undefined);
}

/**
 * Run `insns` on one engine over a fresh copy of `seed` in a buffer of `memory`, `repeat` times
 * on the same buffer (the interpreter one run after the other, stopping at the first error; the
 * JIT through its repeat entry): the last R0 or the first error.
 */
export function runEngine(engine: 'interpreter' | 'jit' | 'jit-unchecked', insns: readonly Insn[], memory: AddressSpace, seed: Uint8Array, maxInsns: number, repeat = 1): EngineOutcome {
  const trace: string[] = [];
  const buf = memory.alloc(FUZZ_BUFFER_BYTES, { kind: 'packet', name: 'fuzz buffer' });
  buf.bytes().set(seed);
  const helpers = fuzzHelpers(memory, trace);
  const packetOf = (ctx: bigint) => (ctx === buf.ptr ? { dataPtr: buf.ptr, lenBytes: FUZZ_BUFFER_BYTES } : undefined);
  let result: string;
  let vm: { run(args: readonly bigint[]): bigint; repeat?(args: readonly bigint[], count: number): bigint; dispose(): void } | undefined;
  try {
    vm = engine === 'interpreter'
      ? new Interpreter(insns, { memory, helpers, packetOf, maxInsns })
      : compileProgramSync(insns, { memory, helpers, packetOf, maxInsns, mode: engine === 'jit' ? 'checked' : 'unchecked' });
    const args = [buf.ptr, BigInt(FUZZ_BUFFER_BYTES)];
    let r0 = 0n;
    if (vm.repeat !== undefined && repeat > 1) r0 = vm.repeat(args, repeat);
    else for (let i = 0; i < repeat; i++) r0 = vm.run(args);
    result = `r0=${hex64(r0)}`;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    result = `error: ${(e as Error).message}`;
  } finally {
    vm?.dispose();
  }
  const buffer = Array.from(buf.bytes(), (b) => b.toString(16).padStart(2, '0')).join('');
  const bufferRange = [buf.ptr, buf.ptr + BigInt(FUZZ_BUFFER_BYTES)] as const;
  memory.free(buf);
  return { result, buffer, trace, bufferRange };
}

/**
 * Stack addresses differ between the engines (each has its own frames), so where a program may
 * leak one (mutated programs) pointers outside the buffer are compared as "PTR".
 */
function maskPointers(o: EngineOutcome, buffer: readonly [bigint, bigint]): EngineOutcome {
  const mask = (s: string): string => s.replace(/0x[0-9a-f]+/g, (h) => {
    const v = BigInt(h);
    return v >= ADDR_BASE && v < ADDR_LIMIT && (v < buffer[0] || v >= buffer[1]) ? 'PTR' : h;
  });
  return { result: mask(o.result), buffer: o.buffer, trace: o.trace.map(mask), bufferRange: o.bufferRange };
}

/** A difference between the engines, or undefined when they agree. */
export function runDifferential(
  insns: readonly Insn[], memory: AddressSpace, seed: Uint8Array, engines: readonly ('jit' | 'jit-unchecked')[] = ['jit'],
  options: { readonly maxInsns?: number; readonly maskStackPointers?: boolean; readonly repeat?: number } = {},
): string | undefined {
  const maxInsns = options.maxInsns ?? 200_000;
  const repeat = options.repeat ?? 1;
  const norm = (o: EngineOutcome): EngineOutcome => (options.maskStackPointers ? maskPointers(o, o.bufferRange) : o);
  const ref = norm(runEngine('interpreter', insns, memory, seed, maxInsns, repeat));
  // The interpreter counts instructions, the JIT loop iterations: budget stops are not compared.
  if (ref.result.includes('instruction budget')) return undefined;
  for (const engine of engines) {
    const got = norm(runEngine(engine, insns, memory, seed, maxInsns, repeat));
    if (got.result !== ref.result) return `${engine}: ${got.result}\ninterpreter: ${ref.result}`;
    if (got.buffer !== ref.buffer) return `${engine}: buffer ${got.buffer}\ninterpreter: buffer ${ref.buffer}`;
    if (got.trace.join('\n') !== ref.trace.join('\n')) return `${engine}: trace ${got.trace.join(' ')}\ninterpreter: trace ${ref.trace.join(' ')}`;
  }
  return undefined;
}

/**
 * The per-function code emitter shared by the lowering files: the Wasm function's local layout
 * (BPF registers as i64 locals), the module's fixed imports and globals, traps, checked and
 * unchecked address computation, and the run-time `R%d !read_ok` checks of the exact mode.
 * Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import { MAX_BPF_STACK } from '../isa/opcodes.ts';
import type { RunError } from '../util/errors.ts';
import { CodeWriter } from './wasm/encoder.ts';
import { I32, I64, type ValType } from './wasm/opcodes.ts';
import type { Op } from './wasm/opcodes.ts';

/** Imported functions, in import order (their function indices). */
export const F_HELPER = 0; // (site i32, r1..r5 i64) -> i64
export const F_HELPERX = 1; // (id i32, site i32, r1..r5 i64) -> i64
export const F_TRAP = 2; // (error i32) -> ()   throws
export const F_READOK = 3; // (insnIdx i32, missing mask i32) -> ()   throws
export const F_CHECK = 4; // (addr i64, size i32, write i32, insnIdx i32) -> i32 offset
export const F_LDABS = 5; // (site i32, r6 i64, src i64) -> i64 (-1: the load failed)
/**
 * Checked mode, an access the region cache does not cover: done in JS exactly as the interpreter
 * does it (AddressSpace.load / store), so context regions with field hooks (RegionFields) are
 * converted; regions without hooks are then installed in the cache.
 */
export const F_LOAD = 6; // (addr i64, size i32, insnIdx i32) -> i64 zero-extended value
export const F_STORE = 7; // (addr i64, size i32, value i64, insnIdx i32) -> ()
export const IMPORTED_FUNCS = 8;
/** Index of the first BPF function. */
export const FIRST_BPF_FUNC = IMPORTED_FUNCS + 1;

/** Module-defined globals, in declaration order. */
export const G_FIDX = 0; // i32: absolute index of the current frame (-1 when idle)
export const G_BASE = 1; // i32: absolute index of the current run's first frame
export const G_BUDGET = 2; // i64: loop iterations left in checked mode
export const G_RLO = 3; // i64: first pointer of the read cache region
/** Per access size 1, 2, 4, 8: how many start pointers are valid in the read cache region. */
export const G_RSPAN = [4, 5, 6, 7] as const;
export const G_WLO = 8;
export const G_WSPAN = [9, 10, 11, 12] as const;
/**
 * Frame pointers (stack tops), one i64 global per absolute frame index, set by the host: kept
 * out of linear memory so BPF code can never see or change them.
 */
export const G_FP0 = 13;
export const FRAME_SLOTS = 128;
/**
 * Checked mode: a callee's final R1..R5, which the interpreter leaves in the caller's registers
 * (unreadable, but passed on to helpers by unverified code). Verified code never sees them.
 */
export const G_OUT_R1 = G_FP0 + FRAME_SLOTS;
export const GLOBAL_COUNT = G_OUT_R1 + 5;
/** The globals of entry values (inline.ts EntryValue) follow the fixed ones. */
export const ENTRY_VALUE_GLOBAL0 = GLOBAL_COUNT;
/** The defined function `(frame index i32) -> frame pointer i64`, first after the imports. */
export const F_FRAME_POINTER = IMPORTED_FUNCS;

/** Index into the span tables for an access size. */
export function sizeSlot(size: 1 | 2 | 4 | 8): 0 | 1 | 2 | 3 {
  return size === 1 ? 0 : size === 2 ? 1 : size === 4 ? 2 : 3;
}

/** What the compiler decided for the whole module. */
export interface ModuleMode {
  /** Bounds-check memory accesses against the live regions, count loop iterations. */
  readonly checked: boolean;
  /** Track readable registers at run time (programs the static analysis cannot prove). */
  readonly dynamicInit: boolean;
  /** Zero each frame's stack on entry, as the interpreter does. */
  readonly zeroStack: boolean;
  /** Slots of loads and stores always done by the load / store imports (context fields). */
  readonly slowAccesses: ReadonlySet<number>;
}

/** Emits the code of one BPF function. */
export class FuncEmitter {
  readonly w = new CodeWriter();
  readonly mode: ModuleMode;
  readonly errors: RunError[];
  /** Params: R1..R5 (+ the entry readable mask in dynamic mode). */
  readonly params: ValType[];
  readonly locals: ValType[] = [];
  /** Local index of each BPF register R0..R10. */
  readonly reg: number[];
  readonly tmp64a: number;
  readonly tmp64b: number;
  readonly tmp64c: number;
  readonly tmp32: number;
  /** i32: wrap(R10) - 512, for statically safe stack accesses. */
  readonly fp32: number;
  readonly mayGoto: number;
  readonly label: number;
  /** i32 readable mask (dynamic mode). */
  readonly init: number;
  /** Whether R10 keeps the frame pointer throughout (no instruction writes it). */
  fpStable = true;

  constructor(mode: ModuleMode, errors: RunError[]) {
    this.mode = mode;
    this.errors = errors;
    this.params = mode.dynamicInit ? [I64, I64, I64, I64, I64, I32] : [I64, I64, I64, I64, I64];
    const np = this.params.length;
    let next = np;
    const local = (t: ValType): number => {
      this.locals.push(t);
      return next++;
    };
    const r0 = local(I64);
    const hi = [local(I64), local(I64), local(I64), local(I64), local(I64)];
    this.reg = [r0, 0, 1, 2, 3, 4, ...hi];
    this.tmp64a = local(I64);
    this.tmp64b = local(I64);
    this.tmp64c = local(I64);
    this.tmp32 = local(I32);
    this.fp32 = local(I32);
    this.mayGoto = local(I32);
    this.label = local(I32);
    this.init = mode.dynamicInit ? 5 : local(I32);
  }

  /** local.get of register `r`. */
  get(r: number): CodeWriter {
    return this.w.get(this.reg[r]!);
  }

  set(r: number): CodeWriter {
    return this.w.set(this.reg[r]!);
  }

  /** Stop the run with `error` (a RunError thrown by the trap import). */
  trap(error: RunError): void {
    this.errors.push(error);
    this.w.i32(this.errors.length - 1).call(F_TRAP).op('unreachable');
  }

  /** Dynamic mode: stop with `R%d !read_ok` unless every register in `reads` is readable. */
  checkReads(insn: Insn, reads: number): void {
    if (!this.mode.dynamicInit || reads === 0) return;
    const w = this.w;
    w.get(this.init).i32(reads).op('i32.and').i32(reads).op('i32.ne');
    w.open('if').i32(insn.idx).get(this.init).i32(-1).op('i32.xor').i32(reads).op('i32.and').call(F_READOK).op('end');
  }

  /** Dynamic mode: readable := f(readable). */
  updateInit(emit: (w: CodeWriter) => void): void {
    if (!this.mode.dynamicInit) return;
    this.w.get(this.init);
    emit(this.w);
    this.w.set(this.init);
  }

  /**
   * A statically safe stack access (through an unmodified R10, inside the frame): pushes the i32
   * address and returns the memarg offset, or returns undefined when the access needs a check.
   */
  private stackAddress(base: number, off: number, size: number): number | undefined {
    if (base !== 10 || !this.fpStable || off < -MAX_BPF_STACK || off + size > 0) return undefined;
    this.w.get(this.fp32);
    return off + MAX_BPF_STACK;
  }

  /** Unchecked mode: push the i32 address of `base + off` and return the memarg offset. */
  private plainAddress(base: number, off: number): number {
    const w = this.w;
    this.get(base);
    if (off >= 0) {
      w.op('i32.wrap_i64');
      return off;
    }
    w.i64(BigInt(off)).op('i64.add').op('i32.wrap_i64');
    return 0;
  }

  /** Checked mode: tmp64c := base + off; pushes the i32 condition "inside the cached region". */
  private cacheHit(base: number, off: number, size: 1 | 2 | 4 | 8, write: boolean): void {
    const w = this.w;
    this.get(base);
    if (off !== 0) w.i64(BigInt(off)).op('i64.add');
    w.tee(this.tmp64c).gget(write ? G_WLO : G_RLO).op('i64.sub');
    w.gget((write ? G_WSPAN : G_RSPAN)[sizeSlot(size)]).op('i64.lt_u');
  }

  /**
   * Push the i64 value of a load of `size` bytes at `base + off` (zero- or sign-extended). In
   * checked mode an access outside the cached region goes to the load import, which does what the
   * interpreter does (faults, context field conversion) and caches plain regions.
   */
  load(insn: Insn, base: number, off: number, size: 1 | 2 | 4 | 8, signed: boolean): void {
    const w = this.w;
    const op = signed && size !== 8 ? LOAD_S[size] : LOAD_U[size];
    const stack = this.stackAddress(base, off, size);
    if (stack !== undefined) {
      w.mem(op, stack);
      return;
    }
    if (this.mode.slowAccesses.has(insn.idx)) {
      this.get(base);
      if (off !== 0) w.i64(BigInt(off)).op('i64.add');
      w.i32(size).i32(insn.idx).call(F_LOAD);
      if (signed && size !== 8) w.op(EXTEND_S[size]);
      return;
    }
    if (!this.mode.checked) {
      w.mem(op, this.plainAddress(base, off));
      return;
    }
    this.cacheHit(base, off, size, false);
    w.open('if', I64).get(this.tmp64c).op('i32.wrap_i64').mem(op, 0);
    w.op('else').get(this.tmp64c).i32(size).i32(insn.idx).call(F_LOAD);
    if (signed && size !== 8) w.op(EXTEND_S[size]);
    w.op('end');
  }

  /**
   * A store of the low `size` bytes of the i64 `value` pushes, at `base + off` (`value` is called
   * once per path, so it must only read locals). Checked misses go to the store import.
   */
  store(insn: Insn, base: number, off: number, size: 1 | 2 | 4 | 8, value: () => void): void {
    const w = this.w;
    const stack = this.stackAddress(base, off, size);
    if (stack !== undefined) {
      value();
      w.mem(STORE[size], stack);
      return;
    }
    if (this.mode.slowAccesses.has(insn.idx)) {
      this.get(base);
      if (off !== 0) w.i64(BigInt(off)).op('i64.add');
      w.i32(size);
      value();
      w.i32(insn.idx).call(F_STORE);
      return;
    }
    if (!this.mode.checked) {
      const o = this.plainAddress(base, off);
      value();
      w.mem(STORE[size], o);
      return;
    }
    this.cacheHit(base, off, size, true);
    w.open('if').get(this.tmp64c).op('i32.wrap_i64');
    value();
    w.mem(STORE[size], 0);
    w.op('else').get(this.tmp64c).i32(size);
    value();
    w.i32(insn.idx).call(F_STORE).op('end');
  }

  /**
   * Push the i32 linear-memory address of a read-modify-write at `base + off` and return the
   * memarg offset. Checked misses go to the check import, which validates the range for writing
   * and returns the offset: atomics see the plain bytes, as the interpreter's execAtomic does.
   */
  rmwAddress(insn: Insn, base: number, off: number, size: 1 | 2 | 4 | 8): number {
    const w = this.w;
    const stack = this.stackAddress(base, off, size);
    if (stack !== undefined) return stack;
    if (!this.mode.checked && !this.mode.slowAccesses.has(insn.idx)) return this.plainAddress(base, off);
    this.cacheHit(base, off, size, true);
    w.open('if', I32).get(this.tmp64c).op('i32.wrap_i64');
    w.op('else').get(this.tmp64c).i32(size).i32(1).i32(insn.idx).call(F_CHECK).op('end');
    return 0;
  }

  /** A load or store with the given memarg offset. */
  mem(name: Op, offset: number): void {
    this.w.mem(name, offset);
  }
}

/** Loads that zero-extend into an i64 register. */
export const LOAD_U: Readonly<Record<1 | 2 | 4 | 8, Op>> = { 1: 'i64.load8_u', 2: 'i64.load16_u', 4: 'i64.load32_u', 8: 'i64.load' };
/** Loads that sign-extend (BPF_MEMSX). */
export const LOAD_S: Readonly<Record<1 | 2 | 4, Op>> = { 1: 'i64.load8_s', 2: 'i64.load16_s', 4: 'i64.load32_s' };
/** Stores of the low bytes of an i64. */
export const STORE: Readonly<Record<1 | 2 | 4 | 8, Op>> = { 1: 'i64.store8', 2: 'i64.store16', 4: 'i64.store32', 8: 'i64.store' };
const EXTEND_S: Readonly<Record<1 | 2 | 4, Op>> = { 1: 'i64.extend8_s', 2: 'i64.extend16_s', 4: 'i64.extend32_s' };

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
export const IMPORTED_FUNCS = 6;
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
/** The defined function `(frame index i32) -> frame pointer i64`, first after the imports. */
export const F_FRAME_POINTER = 6;

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
   * Push the i32 linear-memory address of an access of `size` bytes at `base + off`, and return
   * the memarg offset to use with it. Checked mode validates the range against the live regions
   * (a one-region cache per access kind in globals, the JS check import otherwise, which throws
   * the interpreter's fault); stack accesses through a stable R10 inside the frame need no check.
   */
  address(insn: Insn, base: number, off: number, size: 1 | 2 | 4 | 8, write: boolean): number {
    const w = this.w;
    if (base === 10 && this.fpStable && off >= -MAX_BPF_STACK && off + size <= 0) {
      w.get(this.fp32);
      return off + MAX_BPF_STACK;
    }
    if (!this.mode.checked) {
      this.get(base);
      if (off >= 0) {
        w.op('i32.wrap_i64');
        return off;
      }
      w.i64(BigInt(off)).op('i64.add').op('i32.wrap_i64');
      return 0;
    }
    this.get(base);
    if (off !== 0) w.i64(BigInt(off)).op('i64.add');
    w.tee(this.tmp64c).gget(write ? G_WLO : G_RLO).op('i64.sub');
    w.gget((write ? G_WSPAN : G_RSPAN)[sizeSlot(size)]).op('i64.lt_u');
    w.open('if', I32).get(this.tmp64c).op('i32.wrap_i64');
    w.op('else').get(this.tmp64c).i32(size).i32(write ? 1 : 0).i32(insn.idx).call(F_CHECK).op('end');
    return 0;
  }

  /** Forget the cached regions (after anything that may free a region: helper calls). */
  resetCache(): void {
    if (!this.mode.checked) return;
    for (const g of [...G_RSPAN, ...G_WSPAN]) this.w.i64(0n).gset(g);
  }

  /** A load or store with the given memarg offset. */
  mem(name: Op, offset: number): void {
    this.w.mem(name, offset);
  }
}

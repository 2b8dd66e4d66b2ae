/**
 * Verifier state: the frames of the call chain (registers and stack of each), the references the
 * program holds and the spin lock it holds. The kernel's struct bpf_func_state and
 * bpf_verifier_state, include/linux/bpf_verifier.h (v6.18).
 *
 * Stack slots: 8-byte slots indexed by spi = (-off - 1) / 8, each with a type per byte.
 * Byte i of slot spi is the byte at fp - (spi * 8 + i + 1), as the kernel's slot_type[] is laid out.
 */
import { MAX_BPF_REG } from '../isa/index.ts';
import { RegState, markRegNotInit, markRegPointer } from './reg.ts';

export const STACK_INVALID = 0;
export const STACK_SPILL = 1;
export const STACK_MISC = 2;
export const STACK_ZERO = 3;
export type SlotType = typeof STACK_INVALID | typeof STACK_SPILL | typeof STACK_MISC | typeof STACK_ZERO;

/** The characters the kernel prints for slot types: `?rm0`. */
export const SLOT_TYPE_CHAR = ['?', 'r', 'm', '0'] as const;

export class StackSlot {
  /** slotType[i]: the byte at fp - (spi*8 + i + 1). */
  readonly slotType: SlotType[] = [STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID];
  /** The register saved by a spill (type not_init when none). */
  readonly spilled = new RegState();

  clone(): StackSlot {
    const s = new StackSlot();
    for (let i = 0; i < 8; i++) s.slotType[i] = this.slotType[i] as SlotType;
    s.spilled.copyFrom(this.spilled);
    return s;
  }

  /** is_spilled_reg: the last byte of the slot belongs to a spill. */
  isSpilled(): boolean {
    return this.slotType[7] === STACK_SPILL;
  }
}

/** Kind of a callback frame (sync callbacks are verified in the caller's context). */
export type CallbackKind = 'none' | 'sync' | 'async';

export class FuncState {
  readonly regs: RegState[];
  /** stack[spi] for spi < stack.length; slots beyond are STACK_INVALID. */
  stack: StackSlot[] = [];
  /** The frame's depth in the call chain (0 = main program). */
  readonly frameno: number;
  /** Slot index of the call instruction that created this frame (-1 for the main frame). */
  readonly callsite: number;
  readonly subprog: number;
  /** in_callback_fn (a sync callback returns to its call site) or in_async_callback_fn. */
  callback: CallbackKind = 'none';
  /** Return value range a callback must respect, [min, max] (callback_ret_range). */
  callbackRet: readonly [bigint, bigint] = [0n, 0n];
  /** async_entry_cnt: how many async callbacks deep this chain was registered from. */
  asyncEntryCnt = 0;
  /** callback_depth: iterations of a sync callback simulated from this frame's call site. */
  callbackDepth = 0;

  constructor(frameno: number, callsite: number, subprog: number) {
    this.frameno = frameno;
    this.callsite = callsite;
    this.subprog = subprog;
    this.regs = Array.from({ length: MAX_BPF_REG }, () => new RegState());
  }

  /** A fresh frame: R10 is its frame pointer, everything else not_init (init_func_state). */
  static init(frameno: number, callsite: number, subprog: number): FuncState {
    const f = new FuncState(frameno, callsite, subprog);
    for (const r of f.regs) markRegNotInit(r);
    const fp = f.regs[10] as RegState;
    markRegPointer(fp, 'fp');
    fp.frameno = frameno;
    return f;
  }

  clone(): FuncState {
    const f = new FuncState(this.frameno, this.callsite, this.subprog);
    this.regs.forEach((r, i) => (f.regs[i] as RegState).copyFrom(r));
    f.stack = this.stack.map((s) => s.clone());
    f.callback = this.callback;
    f.callbackRet = this.callbackRet;
    f.asyncEntryCnt = this.asyncEntryCnt;
    f.callbackDepth = this.callbackDepth;
    return f;
  }

  reg(i: number): RegState {
    return this.regs[i] as RegState;
  }

  /** The slot for spi, growing the stack as needed (grow_stack_state). */
  slot(spi: number): StackSlot {
    while (this.stack.length <= spi) this.stack.push(new StackSlot());
    return this.stack[spi] as StackSlot;
  }

  /** The slot for spi if allocated. */
  peekSlot(spi: number): StackSlot | undefined {
    return this.stack[spi];
  }
}

/**
 * An acquired reference (struct bpf_reference_state): a pointer the program must release
 * (ringbuf reservations) or a held spin lock (its map value pointer's id and the map).
 */
export interface RefState {
  readonly id: number;
  readonly insnIdx: number;
  readonly kind: 'ptr' | 'lock';
  readonly ptr?: unknown;
}

/** A register (`spi` < 0) or a spilled stack slot of some frame, linked by a scalar id. */
export interface LinkedReg {
  readonly frameno: number;
  readonly regno: number;
  readonly isReg: boolean;
}

/**
 * One entry of a state's instruction history (struct bpf_jmp_history_entry): the path reached
 * `idx` from `prevIdx` by a jump, or `idx` spilled to / filled from stack slot `spi` of frame
 * `frame` (`spi` -1 when not a stack access), or a conditional jump at `idx` refined the scalars
 * in `linked` together. Precision backtracking (backtrack.ts) walks it backwards.
 */
export interface HistEntry {
  readonly idx: number;
  readonly prevIdx: number;
  readonly frame: number;
  readonly spi: number;
  readonly linked: readonly LinkedReg[] | undefined;
}

export class VerifierState {
  frames: FuncState[];
  refs: RefState[] = [];
  /** callback_unroll_depth: sync callback iterations pushed along this path. */
  callbackUnrollDepth = 0;
  /** Slot index where this state resumes. */
  insnIdx = 0;
  /** The slot index of the previous instruction (for branch logging). */
  prevInsnIdx = -1;
  /** Where this state's stretch of the path began (its checkpoint) and its latest previous insn. */
  firstInsnIdx = 0;
  lastInsnIdx = 0;
  /** Jumps and stack spills/fills since firstInsnIdx, oldest first (jmp_history). */
  jmpHistory: HistEntry[] = [];

  constructor(frames: FuncState[]) {
    this.frames = frames;
  }

  get curframe(): number {
    return this.frames.length - 1;
  }

  get cur(): FuncState {
    return this.frames[this.frames.length - 1] as FuncState;
  }

  /** active_locks: spin locks held. */
  get activeLocks(): number {
    let n = 0;
    for (const r of this.refs) if (r.kind === 'lock') n++;
    return n;
  }

  /** The most recently taken lock (active_lock_id / active_lock_ptr). */
  get activeLock(): RefState | undefined {
    for (let i = this.refs.length - 1; i >= 0; i--) if (this.refs[i]?.kind === 'lock') return this.refs[i];
    return undefined;
  }

  clone(): VerifierState {
    const s = new VerifierState(this.frames.map((f) => f.clone()));
    s.refs = [...this.refs];
    s.callbackUnrollDepth = this.callbackUnrollDepth;
    s.insnIdx = this.insnIdx;
    s.prevInsnIdx = this.prevInsnIdx;
    s.firstInsnIdx = this.firstInsnIdx;
    s.lastInsnIdx = this.lastInsnIdx;
    s.jmpHistory = this.jmpHistory.slice();
    return s;
  }

  /** Every register and spilled register of every frame (for id-based updates). */
  *allRegs(): Generator<RegState> {
    for (const f of this.frames) {
      for (const r of f.regs) yield r;
      for (const s of f.stack) if (s.isSpilled()) yield s.spilled;
    }
  }
}

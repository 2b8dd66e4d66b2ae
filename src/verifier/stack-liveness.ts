/**
 * Stack slot liveness (kernel/bpf/liveness.c, new in v6.18): which stack slots of each frame may
 * still be read after an instruction, so states saved at prune points can forget dead slots
 * (clean_func_state()) and prune more.
 *
 * The facts are gathered while the path walk runs, per call chain ("function instance": the call
 * sites leading to a subprogram, then its first slot): every stack read marks its slot `may_read`
 * at the instruction; the 8-byte aligned writes an instruction always makes are its `must_write`
 * (intersected over the paths reaching it). When a path or a subprogram ends, the instances it
 * went through are solved backwards to a fixed point over the subprogram's instructions in
 * post-order:
 *   live_before(i) = (U live_before(succ) minus must_write(i)) U may_read(i)
 *   must_write_acc(i) = (n must_write_acc(succ)) U must_write(i)
 * and a callee's entry is carried to its call site in the caller's instance (what the callee
 * reads of the caller's stack, and what it always writes there). Masks are 64 bits, one per
 * 8-byte slot, kept as two 32-bit halves. At level 2 each change prints a line such as
 * `(0) frame 0 insn 5 +live -8`, and each solve `(0) live stack update done in 2 iterations`.
 */
import { BPF_CALL, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LD_IMM64, insnClass, insnOp, MAX_CALL_FRAMES, type Insn } from '../isa/index.ts';
import type { Cfg } from './cfg.ts';
import { jumpTarget } from './cfg.ts';
import type { VerifierLog } from './log.ts';
import type { VerifierState } from './state.ts';

// Offsets of the four masks of one instruction, each two u32 words (low, high).
const MAY_READ = 0;
const MUST_WRITE = 2;
const MUST_WRITE_ACC = 4;
const LIVE_BEFORE = 6;
const WORDS = 8;

/** A call chain: the call site in each caller frame, then the current subprogram's first slot. */
interface Callchain {
  readonly callsites: readonly number[];
  /** First slot of the subprogram of each frame. */
  readonly spStarts: readonly number[];
}

/** struct func_instance: the masks of one call chain, per frame it can touch, per instruction. */
interface FuncInstance {
  readonly chain: Callchain;
  readonly key: string;
  readonly start: number;
  readonly insnCnt: number;
  updated: boolean;
  mustWriteDropped: boolean;
  /** Per frame (0..curframe), allocated on first use: insnCnt * WORDS words. */
  readonly frames: (Uint32Array | undefined)[];
  /** Whether must_write of each instruction was set once (later visits intersect). */
  readonly mustWriteSet: Uint8Array;
}

/** bpf_fmt_stack_mask(): `-8,-24` for slots 0 and 2. */
export function fmtStackMask(lo: number, hi: number): string {
  const out: number[] = [];
  for (let i = 0; i < 64; i++) {
    const word = i < 32 ? lo : hi;
    if ((word >>> (i & 31)) & 1) out.push(-(i + 1) * 8);
  }
  return out.join(',');
}

/** bpf_insn_successors(): calls fall through, exits end, `ja` jumps, conditional jumps do both. */
function liveSuccessors(i: Insn): number[] {
  const cls = insnClass(i.code);
  const next = i.idx + (i.code === BPF_LD_IMM64 ? 2 : 1);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return [next];
  const op = insnOp(i.code);
  if (op === BPF_EXIT) return [];
  if (op === BPF_JA) return [jumpTarget(i)];
  // BPF_CALL falls through; every other jump op may fall through or jump.
  if (op === BPF_CALL) return [next];
  return [next, jumpTarget(i)];
}

/**
 * compute_postorder(): each subprogram's instructions in depth-first post-order, from its first
 * one, successors pushed in order (so a jump target is finished before the fall-through).
 */
function computePostorder(cfg: Cfg, succ: readonly (readonly number[])[]): { order: Int32Array; starts: number[] } {
  const order = new Int32Array(cfg.slots);
  const state = new Uint8Array(cfg.slots);
  const stack = new Int32Array(cfg.slots + 1);
  const starts: number[] = [];
  let n = 0;
  for (const start of cfg.subprogStarts) {
    starts.push(n);
    stack[0] = start;
    let sz = 1;
    do {
      const top = stack[sz - 1] as number;
      state[top]! |= 1;
      if (state[top]! & 2) { order[n++] = top; sz--; continue; }
      for (const s of succ[top] ?? []) {
        if (!state[s]) { stack[sz++] = s; state[s]! |= 1; }
      }
      state[top]! |= 2;
    } while (sz > 0);
  }
  starts.push(n);
  return { order, starts };
}

/** struct bpf_liveness: every instance met so far, the one of the current state, pending writes. */
export class StackLiveness {
  private readonly cfg: Cfg;
  private readonly log: VerifierLog;
  private readonly instances = new Map<string, FuncInstance>();
  private cur: FuncInstance | undefined;
  private readonly writeAcc = new Uint32Array(MAX_CALL_FRAMES * 2);
  private writeInsn = 0;
  private readonly succ: (readonly number[])[];
  private postorder: { order: Int32Array; starts: number[] } | undefined;
  /** live_stack_query: the instances of a state's frames and where it stands. */
  private query: { instances: FuncInstance[]; insnIdx: number } | undefined;

  constructor(cfg: Cfg, log: VerifierLog) {
    this.cfg = cfg;
    this.log = log;
    this.succ = cfg.bySlot.map((i) => (i === undefined ? [] : liveSuccessors(i)));
  }

  /** compute_callchain() for frame `frameno` of `st`. */
  private callchain(st: VerifierState, frameno: number): Callchain {
    const callsites: number[] = [];
    const spStarts: number[] = [];
    for (let i = 0; i <= frameno; i++) {
      const f = st.frames[i]!;
      spStarts.push(this.cfg.subprogStarts[f.subprog] as number);
      callsites.push(i < frameno ? st.frames[i + 1]!.callsite : spStarts[i] as number);
    }
    return { callsites, spStarts };
  }

  private lookup(chain: Callchain): FuncInstance {
    const key = chain.callsites.join(',');
    let inst = this.instances.get(key);
    if (inst === undefined) {
      const start = chain.spStarts[chain.spStarts.length - 1] as number;
      const sub = this.cfg.subprogOf[start] as number;
      const end = this.cfg.subprogStarts[sub + 1] ?? this.cfg.slots;
      inst = {
        chain, key, start, insnCnt: end - start, updated: false, mustWriteDropped: false,
        frames: new Array<Uint32Array | undefined>(chain.callsites.length).fill(undefined),
        mustWriteSet: new Uint8Array(end - start),
      };
      this.instances.set(key, inst);
    }
    return inst;
  }

  private lookupState(st: VerifierState, frameno: number): FuncInstance {
    return this.lookup(this.callchain(st, frameno));
  }

  private masks(inst: FuncInstance, frame: number): Uint32Array {
    let m = inst.frames[frame];
    if (m === undefined) { m = new Uint32Array(inst.insnCnt * WORDS); inst.frames[frame] = m; }
    return m;
  }

  /** bpf_reset_live_stack_callchain(): the current state's call chain changed. */
  resetCallchain(): void {
    this.cur = undefined;
  }

  private ensureCur(st: VerifierState): FuncInstance {
    this.cur ??= this.lookupState(st, st.curframe);
    return this.cur;
  }

  private markReadIn(inst: FuncInstance, frame: number, insnIdx: number, lo: number, hi: number): void {
    const m = this.masks(inst, frame);
    const at = (insnIdx - inst.start) * WORDS;
    const rLo = (m[at + MAY_READ]! | lo) >>> 0, rHi = (m[at + MAY_READ + 1]! | hi) >>> 0;
    const bLo = m[at + LIVE_BEFORE]!, bHi = m[at + LIVE_BEFORE + 1]!;
    if ((rLo !== m[at + MAY_READ] || rHi !== m[at + MAY_READ + 1]) && (((rLo | bLo) >>> 0) !== bLo || ((rHi | bHi) >>> 0) !== bHi)) {
      inst.updated = true;
    }
    m[at + MAY_READ] = rLo;
    m[at + MAY_READ + 1] = rHi;
  }

  /** bpf_mark_stack_read(): instruction `insnIdx` of the current state reads slot `spi` of frame `frame`. */
  markRead(st: VerifierState, frame: number, insnIdx: number, spi: number): void {
    this.markReadIn(this.ensureCur(st), frame, insnIdx, spi < 32 ? (1 << spi) >>> 0 : 0, spi >= 32 ? (1 << (spi - 32)) >>> 0 : 0);
  }

  /** bpf_reset_stack_write_marks(): instruction `insnIdx` is about to be checked. */
  resetWrites(st: VerifierState, insnIdx: number): void {
    this.ensureCur(st);
    this.writeInsn = insnIdx;
    this.writeAcc.fill(0);
  }

  /** bpf_mark_stack_write(): the instruction writes all 8 bytes of slot `spi` of frame `frame`. */
  markWrite(frame: number, spi: number): void {
    if (spi < 32) this.writeAcc[frame * 2]! |= (1 << spi) >>> 0;
    else this.writeAcc[frame * 2 + 1]! |= (1 << (spi - 32)) >>> 0;
  }

  /** bpf_commit_stack_write_marks(): the instruction was checked; merge what it wrote. */
  commitWrites(): void {
    this.commitTo(this.cur);
  }

  private commitTo(inst: FuncInstance | undefined): void {
    if (inst === undefined) return;
    const idx = this.writeInsn - inst.start;
    const set = inst.mustWriteSet[idx] === 1;
    for (let frame = 0; frame < inst.chain.callsites.length; frame++) {
      let lo = this.writeAcc[frame * 2]!, hi = this.writeAcc[frame * 2 + 1]!;
      if (lo === 0 && hi === 0 && !set) continue;
      const m = this.masks(inst, frame);
      const at = idx * WORDS + MUST_WRITE;
      // The kernel keeps the previous value in a u32: the intersection loses slots 32-63.
      const oldLo = m[at]!;
      if (set) { lo = (lo & oldLo) >>> 0; hi = 0; }
      if (oldLo !== lo || hi !== 0) {
        m[at] = lo;
        m[at + 1] = hi;
        inst.updated = true;
      }
      if ((oldLo & ~lo) !== 0) inst.mustWriteDropped = true;
    }
    inst.mustWriteSet[idx] = 1;
    this.writeInsn = 0;
  }

  private fmtChain(inst: FuncInstance): string {
    return `(${inst.key})`;
  }

  private logChange(inst: FuncInstance, what: string, frame: number, insnIdx: number, oLo: number, oHi: number, nLo: number, nHi: number): void {
    const cLo = (oLo ^ nLo) >>> 0, cHi = (oHi ^ nHi) >>> 0;
    if (cLo === 0 && cHi === 0) return;
    let line = `${this.fmtChain(inst)} frame ${frame} insn ${insnIdx} `;
    const onesLo = (nLo & cLo) >>> 0, onesHi = (nHi & cHi) >>> 0;
    const zerosLo = (~nLo & cLo) >>> 0, zerosHi = (~nHi & cHi) >>> 0;
    if (onesLo || onesHi) line += `+${what} ${fmtStackMask(onesLo, onesHi)} `;
    if (zerosLo || zerosHi) line += `-${what} ${fmtStackMask(zerosLo, zerosHi)}`;
    this.log.print(line);
  }

  /** update_insn(): one step of the backward solve; true when a mask changed. */
  private updateInsn(inst: FuncInstance, frame: number, m: Uint32Array, insnIdx: number): boolean {
    const succ = this.succ[insnIdx] as readonly number[];
    if (succ.length === 0) return false;
    const at = (insnIdx - inst.start) * WORDS;
    let afterLo = 0, afterHi = 0, accLo = 0xffffffff, accHi = 0xffffffff;
    for (const s of succ) {
      const sa = (s - inst.start) * WORDS;
      afterLo |= m[sa + LIVE_BEFORE]!;
      afterHi |= m[sa + LIVE_BEFORE + 1]!;
      accLo &= m[sa + MUST_WRITE_ACC]!;
      accHi &= m[sa + MUST_WRITE_ACC + 1]!;
    }
    const wLo = m[at + MUST_WRITE]!, wHi = m[at + MUST_WRITE + 1]!;
    const rLo = m[at + MAY_READ]!, rHi = m[at + MAY_READ + 1]!;
    accLo = (accLo | wLo) >>> 0;
    accHi = (accHi | wHi) >>> 0;
    const beforeLo = ((afterLo & ~wLo) | rLo) >>> 0, beforeHi = ((afterHi & ~wHi) | rHi) >>> 0;
    const oldBLo = m[at + LIVE_BEFORE]!, oldBHi = m[at + LIVE_BEFORE + 1]!;
    const oldALo = m[at + MUST_WRITE_ACC]!, oldAHi = m[at + MUST_WRITE_ACC + 1]!;
    const changed = beforeLo !== oldBLo || beforeHi !== oldBHi || accLo !== oldALo || accHi !== oldAHi;
    if (this.log.level > 1 && (rLo || rHi || wLo || wHi || insnIdx === inst.start || this.cfg.prunePoints[insnIdx])) {
      this.logChange(inst, 'live', frame, insnIdx, oldBLo, oldBHi, beforeLo, beforeHi);
      this.logChange(inst, 'written', frame, insnIdx, oldALo, oldAHi, accLo, accHi);
    }
    m[at + LIVE_BEFORE] = beforeLo;
    m[at + LIVE_BEFORE + 1] = beforeHi;
    m[at + MUST_WRITE_ACC] = accLo;
    m[at + MUST_WRITE_ACC + 1] = accHi;
    return changed;
  }

  /** update_instance(): solve the instance to a fixed point, then hand its entry to the caller. */
  private updateInstance(inst: FuncInstance): void {
    if (inst.mustWriteDropped) {
      for (const m of inst.frames) {
        if (m === undefined) continue;
        for (let i = 0; i < inst.insnCnt; i++) { m[i * WORDS + MUST_WRITE_ACC] = 0; m[i * WORDS + MUST_WRITE_ACC + 1] = 0; }
      }
    }
    this.postorder ??= computePostorder(this.cfg, this.succ);
    const sub = this.cfg.subprogOf[inst.start] as number;
    const { order, starts } = this.postorder;
    const poStart = starts[sub] as number, poEnd = starts[sub + 1] as number;
    let cnt = 0;
    let changed: boolean;
    do {
      cnt++;
      changed = false;
      for (let frame = 0; frame < inst.frames.length; frame++) {
        const m = inst.frames[frame];
        if (m === undefined) continue;
        for (let i = poStart; i < poEnd; i++) changed = this.updateInsn(inst, frame, m, order[i] as number) || changed;
      }
    } while (changed);
    if (this.log.level > 1) this.log.print(`${this.fmtChain(inst)} live stack update done in ${cnt} iterations`);
    if (inst.chain.callsites.length > 1) this.propagateToOuter(inst);
  }

  /** propagate_to_outer_instance(): the callee's entry masks become its call site's in the caller. */
  private propagateToOuter(inst: FuncInstance): void {
    const depth = inst.chain.callsites.length - 1;
    const spStarts = inst.chain.spStarts.slice(0, depth);
    const callsites = inst.chain.callsites.slice(0, depth);
    callsites[depth - 1] = spStarts[depth - 1] as number;
    const outer = this.lookup({ callsites, spStarts });
    const callsite = inst.chain.callsites[depth - 1] as number;
    this.writeInsn = callsite;
    this.writeAcc.fill(0);
    for (let frame = 0; frame < depth; frame++) {
      const m = inst.frames[frame];
      if (m === undefined) continue;
      this.writeAcc[frame * 2] = (this.writeAcc[frame * 2]! | m[MUST_WRITE_ACC]!) >>> 0;
      this.writeAcc[frame * 2 + 1] = (this.writeAcc[frame * 2 + 1]! | m[MUST_WRITE_ACC + 1]!) >>> 0;
      this.markReadIn(outer, frame, callsite, m[LIVE_BEFORE]!, m[LIVE_BEFORE + 1]!);
    }
    this.commitTo(outer);
  }

  /**
   * bpf_update_live_stack(): a path or a subprogram of `st` ended; solve the instances of its
   * frames, innermost first, so queries about saved states with no paths left are complete.
   */
  update(st: VerifierState): void {
    this.cur = undefined;
    for (let frame = st.curframe; frame >= 0; frame--) {
      const inst = this.lookupState(st, frame);
      if (!inst.updated) continue;
      this.updateInstance(inst);
      inst.updated = false;
      inst.mustWriteDropped = false;
    }
  }

  /** bpf_live_stack_query_init(): the following slotAlive() calls are about `st`. */
  queryInit(st: VerifierState): void {
    const instances: FuncInstance[] = [];
    for (let frame = 0; frame <= st.curframe; frame++) instances.push(this.lookupState(st, frame));
    this.query = { instances, insnIdx: st.insnIdx };
  }

  private liveBefore(inst: FuncInstance, insnIdx: number, frame: number, spi: number): boolean {
    const m = inst.frames[frame];
    if (m === undefined) return false;
    const w = m[(insnIdx - inst.start) * WORDS + LIVE_BEFORE + (spi < 32 ? 0 : 1)]!;
    return ((w >>> (spi & 31)) & 1) === 1;
  }

  /**
   * bpf_stack_slot_alive(): slot `spi` of frame `frameno` may be read by the queried state's
   * current instruction or later, in its own function or after a caller's call returns (for a
   * call that runs a callback, at the call itself: the callback runs again from there).
   */
  slotAlive(frameno: number, spi: number): boolean {
    const q = this.query as { instances: FuncInstance[]; insnIdx: number };
    const curframe = q.instances.length - 1;
    const top = q.instances[curframe] as FuncInstance;
    if (this.liveBefore(top, q.insnIdx, frameno, spi)) return true;
    for (let i = frameno; i < curframe; i++) {
      const callsite = top.chain.callsites[i] as number;
      const inst = q.instances[i] as FuncInstance;
      const at = this.cfg.callsCallback[callsite] ? callsite : callsite + 1;
      if (this.liveBefore(inst, at, frameno, spi)) return true;
    }
    return false;
  }
}

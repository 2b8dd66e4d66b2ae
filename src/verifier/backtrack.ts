/**
 * Precision backtracking (mark_chain_precision(), __mark_chain_precision(), backtrack_insn(),
 * kernel/bpf/verifier.c v6.18).
 *
 * When a safety decision relies on a scalar's exact value, the instructions of the current path
 * are walked backwards from the current one, through each state's instruction history (jumps and
 * stack spills/fills, `HistEntry`) and then into the checkpoints the path descends from, with a
 * set of registers and stack slots per frame still to explain (the `bt_*` masks). Every value
 * the decision depends on is marked precise in the checkpoints, so pruning against them compares
 * it by range. Precision in the current state itself does not matter (it is never compared
 * before being checkpointed, and checkpoints start imprecise). At log level 2 the walk prints the
 * kernel's `mark_precise:` lines.
 */
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_CALL, BPF_CMPXCHG, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IND, BPF_JMP, BPF_JMP32,
  BPF_LD, BPF_LD_IMM64, BPF_LDX, BPF_LOAD_ACQ, BPF_ATOMIC, BPF_MOV, BPF_NEG, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL, BPF_ST, BPF_STX, BPF_X, MAX_CALL_FRAMES, insnClass, insnMode, insnOp, insnSrcBit, isJmpClass,
  type Insn,
} from '../isa/index.ts';
import * as F from '../uapi/helpers.ts';
import { EFAULT } from '../uapi/errno.ts';
import { isCall, isExit, jumpTarget, type Cfg } from './cfg.ts';
import type { Env } from './env.ts';
import { isGlobalFunc } from './global-func.ts';
import { frameStr, insnCodeText } from './log.ts';
import type { ExploredState } from './prune.ts';
import { SccVisits } from './scc.ts';
import type { HistEntry, LinkedReg, VerifierState } from './state.ts';

/** R1-R5 (BPF_REGMASK_ARGS). */
const ARGS = 0b111110;

/** The backtracking masks (struct backtrack_state): registers and stack slots per frame. */
export class BacktrackMasks {
  frame = 0;
  readonly regs = new Int32Array(MAX_CALL_FRAMES);
  /** Stack slots 0-31 and 32-63 (spi) of each frame. */
  readonly lo = new Int32Array(MAX_CALL_FRAMES);
  readonly hi = new Int32Array(MAX_CALL_FRAMES);

  reset(): void {
    this.frame = 0;
    this.regs.fill(0); this.lo.fill(0); this.hi.fill(0);
  }

  empty(): boolean {
    for (let f = 0; f <= this.frame; f++) if (this.regs[f] || this.lo[f] || this.hi[f]) return false;
    return true;
  }

  setReg(f: number, r: number): void { (this.regs[f] as number) |= 1 << r; }
  clearReg(f: number, r: number): void { (this.regs[f] as number) &= ~(1 << r); }
  isReg(f: number, r: number): boolean { return ((this.regs[f] as number) & (1 << r)) !== 0; }
  setSlot(f: number, spi: number): void {
    if (spi < 32) (this.lo[f] as number) |= 1 << spi; else (this.hi[f] as number) |= 1 << (spi - 32);
  }
  clearSlot(f: number, spi: number): void {
    if (spi < 32) (this.lo[f] as number) &= ~(1 << spi); else (this.hi[f] as number) &= ~(1 << (spi - 32));
  }
  isSlot(f: number, spi: number): boolean {
    return spi < 32 ? ((this.lo[f] as number) & (1 << spi)) !== 0 : ((this.hi[f] as number) & (1 << (spi - 32))) !== 0;
  }
  hasSlots(f: number): boolean { return this.lo[f] !== 0 || this.hi[f] !== 0; }

  /** The slots of frame f that are set, lowest spi first. */
  slots(f: number): number[] {
    const out: number[] = [];
    for (let spi = 0; spi < 64; spi++) if (this.isSlot(f, spi)) out.push(spi);
    return out;
  }

  /** `r0,r2,r4` (fmt_reg_mask) and `-8,-24` (fmt_stack_mask). */
  regStr(f: number): string {
    const out: string[] = [];
    for (let r = 0; r < 32; r++) if (((this.regs[f] as number) & (1 << r)) !== 0) out.push(`r${r}`);
    return out.join(',');
  }
  slotStr(f: number): string {
    if (!this.hasSlots(f)) return '';
    return this.slots(f).map((spi) => String(-(spi + 1) * 8)).join(',');
  }
}

/** Per-verification precision bookkeeping, kept on the Env. */
export class Precision {
  readonly bt = new BacktrackMasks();
  /** is_jmp_point(): slots whose arrival is recorded in the history. */
  readonly jmpPoints: Uint8Array;
  /** env->cur_hist_ent: the current instruction already pushed a history entry. */
  curHistEnt = false;
  /** env->prev_insn_idx: the instruction the path came from. */
  prevInsnIdx = -1;
  /** loop_inline_state of each bpf_loop call site (fit_for_inline, callback_subprogno), once seen. */
  readonly loopInline = new Map<number, { fit: boolean; subprog: number | undefined }>();
  /** `(bf) r1 = r6` of each instruction, for the level-2 log. */
  readonly insnTexts: string[] = [];
  /** Loop visits, for the level-2 log. */
  readonly scc = new SccVisits();

  constructor(cfg: Cfg) {
    this.jmpPoints = jmpPoints(cfg);
  }
}

/** mark_jmp_point() as visit_insn() calls it: jump targets, the insns after calls, callees, sync-callback calls. */
function jmpPoints(cfg: Cfg): Uint8Array {
  const out = new Uint8Array(cfg.slots);
  const mark = (x: number): void => { if (x >= 0 && x < cfg.slots) out[x] = 1; };
  for (const i of cfg.bySlot) {
    if (i === undefined) continue;
    const pseudoFunc = i.code === BPF_LD_IMM64 && i.src === BPF_PSEUDO_FUNC;
    if ((!isJmpClass(insnClass(i.code)) && !pseudoFunc) || isExit(i)) continue;
    if (isCall(i) || pseudoFunc) {
      if (cfg.callsCallback[i.idx]) mark(i.idx);
      mark(i.idx + (pseudoFunc ? 2 : 1));
      if (pseudoFunc || i.src === BPF_PSEUDO_CALL) mark(i.idx + i.imm + 1);
      continue;
    }
    mark(jumpTarget(i));
  }
  return out;
}

/**
 * push_jmp_history(): record the current instruction in `st`'s history; a second record for the
 * same instruction (an atomic op reads and writes its slot) merges into the first.
 */
export function pushInsnHistory(env: Env, st: VerifierState, stack?: { frame: number; spi: number }, linked?: readonly LinkedReg[]): void {
  const h = st.jmpHistory;
  const last = env.prec.curHistEnt && h.length > 0 ? h[h.length - 1] : undefined;
  if (last !== undefined) {
    h[h.length - 1] = { ...last, frame: stack ? stack.frame : last.frame, spi: stack ? stack.spi : last.spi, linked: linked ?? last.linked };
    return;
  }
  h.push({ idx: env.insnIdx, prevIdx: env.prec.prevInsnIdx, frame: stack?.frame ?? 0, spi: stack?.spi ?? -1, linked });
  env.prec.curHistEnt = true;
}

/** bt_sync_linked_regs(): when one of the linked scalars needs precision, all of them do. */
function syncLinked(bt: BacktrackMasks, hist: HistEntry | undefined): void {
  const linked = hist?.linked;
  if (!linked) return;
  const some = linked.some((e) => (e.isReg ? bt.isReg(e.frameno, e.regno) : bt.isSlot(e.frameno, e.regno)));
  if (!some) return;
  for (const e of linked) {
    if (e.isReg) bt.setReg(e.frameno, e.regno);
    else bt.setSlot(e.frameno, e.regno);
  }
}

/** verifier_bug(): the walk met something it cannot explain (EFAULT, as the kernel). */
function bug(env: Env, what: string): never {
  env.reject(EFAULT, `verifier bug: ${what}`);
}

const NOTSUPP = 1;

/**
 * backtrack_insn(): undo instruction `idx` on the masks (what must be precise before it, given
 * what must be precise after it). `subseq` is the instruction the walk came from. Returns
 * NOTSUPP when the walk cannot continue (then everything is made precise).
 */
function backtrackInsn(env: Env, idx: number, subseq: number, hist: HistEntry | undefined, bt: BacktrackMasks): number {
  const insn = env.insnAt(idx);
  if (insn === undefined || insn.code === 0) return 0;
  const fr = bt.frame;
  if (env.log.level > 1) {
    const texts = env.prec.insnTexts;
    const text = texts[idx] ??= insnCodeText(insn);
    env.log.print(`mark_precise: frame${fr}: regs=${bt.regStr(fr)} stack=${bt.slotStr(fr)} before ${idx}: ${text}`);
  }
  syncLinked(bt, hist);
  const cls = insnClass(insn.code);
  const d = insn.dst, s = insn.src;
  const stackSlot = hist !== undefined && hist.spi >= 0;
  const atomic = cls === BPF_STX && insnMode(insn.code) === BPF_ATOMIC;
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    if (!bt.isReg(fr, d)) return 0;
    const op = insnOp(insn.code);
    if (op === BPF_END || op === BPF_NEG) return 0;
    const isX = insnSrcBit(insn.code) === BPF_X;
    if (op === BPF_MOV) {
      bt.clearReg(fr, d);
      if (isX && s !== 10) bt.setReg(fr, s);
    } else if (isX && s !== 10) {
      bt.setReg(fr, s);
    }
  } else if (cls === BPF_LDX || (atomic && (insn.imm === BPF_LOAD_ACQ || (insn.imm & BPF_FETCH) !== 0))) {
    const load = atomic && insn.imm !== BPF_LOAD_ACQ ? (insn.imm === BPF_CMPXCHG ? 0 : s) : d;
    if (!bt.isReg(fr, load)) return 0;
    bt.clearReg(fr, load);
    // Only a fill from the stack keeps a scalar exactly; other loads already gave what they could.
    if (!stackSlot) return 0;
    bt.setSlot(hist.frame, hist.spi);
  } else if (cls === BPF_STX || cls === BPF_ST) {
    // A scalar used as a store's address: pointer subtraction gave it; give up.
    if (bt.isReg(fr, d)) return NOTSUPP;
    if (!stackSlot || !bt.isSlot(hist.frame, hist.spi)) return 0;
    bt.clearSlot(hist.frame, hist.spi);
    if (cls === BPF_STX) bt.setReg(fr, s);
  } else if (cls === BPF_JMP || cls === BPF_JMP32) {
    const r = backtrackJmp(env, insn, idx, subseq, bt);
    if (r !== 0) return r;
    const op = insnOp(insn.code);
    if (op !== BPF_CALL && op !== BPF_EXIT && insnSrcBit(insn.code) === BPF_X) {
      if (!bt.isReg(bt.frame, d) && !bt.isReg(bt.frame, s)) return 0;
      bt.setReg(bt.frame, s);
      bt.setReg(bt.frame, d);
    }
  } else if (cls === BPF_LD) {
    if (!bt.isReg(fr, d)) return 0;
    bt.clearReg(fr, d);
    const mode = insnMode(insn.code);
    if (mode === BPF_ABS || mode === BPF_IND) return NOTSUPP;
  }
  syncLinked(bt, hist);
  return 0;
}

/** Calls and exits: the walk enters (backwards) or leaves frames. */
function backtrackJmp(env: Env, insn: Insn, idx: number, subseq: number, bt: BacktrackMasks): number {
  const op = insnOp(insn.code);
  const fr = bt.frame;
  const regs = bt.regs[fr] as number;
  if (op === BPF_CALL && insn.src === BPF_PSEUDO_CALL) {
    const subprog = env.cfg.subprogOf[idx + insn.imm + 1] as number;
    if (isGlobalFunc(env, subprog)) {
      if (idx + 1 !== subseq) bug(env, 'extra insn from subprog');
      if (regs & ARGS) bug(env, `global subprog unexpected regs ${regs.toString(16)}`);
      bt.clearReg(fr, 0);
      return 0;
    }
    // The walk leaves the callee through its entry: only arguments may still be wanted.
    if (regs & ~ARGS) bug(env, `static subprog unexpected regs ${regs.toString(16)}`);
    if (bt.hasSlots(fr)) bug(env, 'static subprog leftover stack slots');
    if (fr === 0) bug(env, 'subprog exit from frame 0');
    for (let r = 1; r <= 5; r++) {
      if (!bt.isReg(fr, r)) continue;
      bt.clearReg(fr, r);
      bt.setReg(fr - 1, r);
    }
    bt.frame--;
    return 0;
  }
  if (op === BPF_CALL && env.cfg.callsCallback[idx] && idx !== subseq - 1) {
    // Back from a callback's entry to the helper that runs it: its arguments were set by the helper.
    if (regs & ~ARGS) bug(env, `callback unexpected regs ${regs.toString(16)}`);
    if (bt.hasSlots(fr)) bug(env, 'callback leftover stack slots');
    for (let r = 1; r <= 5; r++) bt.clearReg(fr, r);
    if (fr === 0) bug(env, 'subprog exit from frame 0');
    bt.frame--;
    return 0;
  }
  if (op === BPF_CALL) {
    if (insn.src === BPF_PSEUDO_KFUNC_CALL && insn.imm === 0) return NOTSUPP;
    bt.clearReg(fr, 0);
    if ((bt.regs[fr] as number) & ARGS) bug(env, `backtracking call unexpected regs ${(bt.regs[fr] as number).toString(16)}`);
    if (insn.src === 0 && insn.imm === F.BPF_FUNC_tail_call && subseq - idx !== 1) {
      if (fr === MAX_CALL_FRAMES - 1) bug(env, `subprog enter from frame ${fr}`);
      bt.frame++;
    }
    return 0;
  }
  if (op === BPF_EXIT) {
    // Backwards into the function that returned: R0 carries on only out of a plain subprogram.
    if (subseq >= 0 && env.cfg.callsCallback[subseq]) for (let r = 1; r <= 5; r++) bt.clearReg(fr, r);
    if ((bt.regs[fr] as number) & ARGS) bug(env, `backtracking exit unexpected regs ${(bt.regs[fr] as number).toString(16)}`);
    const caller = subseq - 1 >= 0 ? env.insnAt(subseq - 1) : undefined;
    const r0 = caller !== undefined && isCall(caller) && caller.src === BPF_PSEUDO_CALL && bt.isReg(fr, 0);
    bt.clearReg(fr, 0);
    if (fr === MAX_CALL_FRAMES - 1) bug(env, `subprog enter from frame ${fr}`);
    bt.frame++;
    if (r0) bt.setReg(bt.frame, 0);
    return 0;
  }
  return 0;
}

/**
 * mark_all_scalars_precise(): the fallback when the walk cannot explain a value. Every scalar of
 * every checkpoint of the path becomes precise (the current state is skipped: it does not matter).
 */
function markAllScalarsPrecise(env: Env, start: VerifierState): void {
  const log = env.log.level > 1 ? env.log : undefined;
  log?.print(`mark_precise: frame${start.curframe}: falling back to forcing all scalars precise`);
  for (let e = env.parent; e; e = e.parent) {
    e.state.frames.forEach((f, i) => {
      for (let j = 0; j < 10; j++) {
        const r = f.reg(j);
        if (r.type !== 'scalar' || r.precise) continue;
        r.precise = true;
        log?.print(`force_precise: frame${i}: forcing r${j} to be precise`);
      }
      f.stack.forEach((slot, spi) => {
        if (!slot.isSpilled() || slot.spilled.type !== 'scalar' || slot.spilled.precise) return;
        slot.spilled.precise = true;
        log?.print(`force_precise: frame${i}: forcing fp${-(spi + 1) * 8} to be precise`);
      });
    });
  }
}

/**
 * __mark_chain_precision() from the current state, for register `regno` of its current frame
 * and whatever the masks already hold (mark_chain_precision_batch() with regno -1).
 */
export function markChainPrecisionFrom(env: Env, regno: number): void {
  const bt = env.prec.bt;
  const start = env.state;
  const log = env.log.level > 1 ? env.log : undefined;
  bt.frame = start.curframe;
  if (regno >= 0) {
    if (start.cur.reg(regno).type !== 'scalar') bug(env, 'backtracking misuse');
    bt.setReg(bt.frame, regno);
  }
  if (bt.empty()) return;
  let st = start;
  let parent: ExploredState | undefined = env.parent;
  let firstIdx = st.firstInsnIdx;
  let lastIdx = st.insnIdx;
  let subseq = -1;
  let skipFirst = true;
  for (;;) {
    log?.print(`mark_precise: frame${bt.frame}: last_idx ${lastIdx} first_idx ${firstIdx} subseq_idx ${subseq} `);
    if (lastIdx < 0) {
      // The entry of a global function verified on its own: only its arguments can be wanted.
      const f0 = st.frames[0];
      if (st.curframe === 0 && f0 !== undefined && f0.subprog > 0 && f0.callsite === -1 && !bt.hasSlots(0) &&
        ((bt.regs[0] as number) & ~ARGS) === 0) {
        for (let r = 0; r < 32; r++) {
          if (!bt.isReg(0, r)) continue;
          bt.clearReg(0, r);
          const reg = f0.reg(r);
          if (reg.type === 'scalar') reg.precise = true;
        }
        return;
      }
      bug(env, `backtracking func entry subprog ${f0?.subprog ?? 0} reg_mask ${(bt.regs[0] as number).toString(16)}`);
    }
    let history = st.jmpHistory.length;
    for (let i = lastIdx; ;) {
      if (skipFirst) {
        skipFirst = false;
      } else {
        const top = history > 0 ? st.jmpHistory[history - 1] : undefined;
        if (backtrackInsn(env, i, subseq, top !== undefined && top.idx === i ? top : undefined, bt) === NOTSUPP) {
          markAllScalarsPrecise(env, start);
          bt.reset();
          return;
        }
      }
      if (bt.empty()) return;
      subseq = i;
      // get_prev_insn_idx(): the history says where a jump came from, else the previous insn.
      if (i === st.firstInsnIdx && (history === 0 || (history === 1 && st.jmpHistory[0]?.idx === i))) break;
      const top = history > 0 ? st.jmpHistory[history - 1] : undefined;
      if (top !== undefined && top.idx === i) { i = top.prevIdx; history--; } else i--;
      if (i < 0 || i >= env.cfg.slots) bug(env, `backtracking idx ${i}`);
    }
    if (parent === undefined) break;
    st = parent.state;
    parent = parent.parent;
    for (let fr = bt.frame; fr >= 0; fr--) {
      const f = st.frames[fr];
      if (f === undefined) continue;
      for (let m = bt.regs[fr] as number; m !== 0; m &= m - 1) {
        const r = 31 - Math.clz32(m & -m);
        const reg = f.regs[r];
        if (reg === undefined || reg.type !== 'scalar' || reg.precise) bt.clearReg(fr, r);
        else reg.precise = true;
      }
      if (bt.hasSlots(fr)) for (const spi of bt.slots(fr)) {
        const slot = f.peekSlot(spi);
        if (slot === undefined || !slot.isSpilled() || slot.spilled.type !== 'scalar' || slot.spilled.precise) bt.clearSlot(fr, spi);
        else slot.spilled.precise = true;
      }
      log?.print(`mark_precise: frame${fr}: parent state regs=${bt.regStr(fr)} stack=${bt.slotStr(fr)}: ${frameStr(st, fr)}`);
    }
    if (bt.empty()) return;
    subseq = firstIdx;
    lastIdx = st.lastInsnIdx;
    firstIdx = st.firstInsnIdx;
  }
  // Still wanted at the start of the path: something was missed (a stack access not through r10?).
  if (!bt.empty()) {
    markAllScalarsPrecise(env, start);
    bt.reset();
  }
}

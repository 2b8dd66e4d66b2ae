/**
 * The verification environment (the kernel's struct bpf_verifier_env): the program, its control
 * flow, the current state, the log and the counters. One per verify() call; the check-* modules
 * take it as their first argument rather than closing over it.
 */
import type { Insn } from '../isa/index.ts';
import { E2BIG, EACCES, EINVAL } from '../uapi/errno.ts';
import { Precision } from './backtrack.ts';
import type { Cfg } from './cfg.ts';
import { Reject, VerifierLog, frameStr, type Scratch } from './log.ts';
import * as msg from './messages.ts';
import type { RegState } from './reg.ts';
import type { ExploredState } from './prune.ts';
import { StackLiveness } from './stack-liveness.ts';
import type { VerifierState } from './state.ts';
import type { InsnFact, MapRef, VerifierProgram } from './types.ts';

/** BPF_COMPLEXITY_LIMIT_JMP_SEQ: paths that may wait at once. */
const BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192;

/** The counters of the `processed N insns ...` line. */
export interface WalkStats {
  processed: number;
  totalStates: number;
  peakStates: number;
  maxStatesPerInsn: number;
}

/** A path waiting to be explored (struct bpf_verifier_stack_elem). */
export interface PendingState {
  readonly state: VerifierState;
  readonly parent: ExploredState | undefined;
  /** Log position when the branch was pushed: a level-1 log is cut back to it (pop_stack). */
  readonly logPos: number;
}

/** One verification's state and services, handed to every check. */
export class Env {
  readonly prog: VerifierProgram;
  readonly cfg: Cfg;
  readonly log: VerifierLog;
  state!: VerifierState;
  /** Slot index of the instruction being checked. */
  insnIdx = 0;
  private idGen = 0;
  /** Deepest stack access of each subprogram, in bytes. */
  readonly stackDepth: number[];
  readonly facts = new Map<number, InsnFact>();
  readonly stats: WalkStats = { processed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0 };
  /** do_print_state: the next instruction starts a new stretch of the walk (after a pop or a return). */
  doPrintState = false;
  /** Slots some path reached (insn_aux_data[].seen). */
  readonly seen: Uint8Array;
  /** Paths still to explore, depth first (env->head). */
  readonly pending: PendingState[] = [];
  /** The saved state the current path descends from (cur->parent). */
  parent: ExploredState | undefined;
  /** States saved at prune points, by hash bucket as the kernel keeps them (explored_states), most recent last. */
  readonly explored = new Map<number, ExploredState[]>();
  /** Precision backtracking: masks, jump points, history bookkeeping (backtrack.ts). */
  readonly prec: Precision;
  /** Subprograms registered as async callbacks (is_async_cb) and as any callback (is_cb). */
  readonly asyncCallbacks = new Set<number>();
  readonly callbacks = new Set<number>();
  readonly scratch: Scratch = { regs: 0, slotsLo: 0, slotsHi: 0, allSlots: false };
  /** Array index of each slot's Insn. */
  readonly arrayIndex: Map<number, number>;
  /** Stack slot liveness gathered along the walk (stack-liveness.ts). */
  readonly stackLive: StackLiveness;

  constructor(prog: VerifierProgram, cfg: Cfg, log: VerifierLog) {
    this.prog = prog;
    this.cfg = cfg;
    this.log = log;
    this.stackDepth = cfg.subprogStarts.map(() => 0);
    this.arrayIndex = new Map(prog.insns.map((i, k) => [i.idx, k]));
    this.prec = new Precision(cfg);
    this.seen = new Uint8Array(cfg.slots);
    this.stackLive = new StackLiveness(cfg, log);
  }

  newId(): number {
    return ++this.idGen;
  }

  /** Stops verification; `newline` false for the few kernel messages printed without one. */
  reject(errno: number, message: string, newline = true): never {
    throw new Reject(errno, message, newline);
  }

  get cur(): VerifierState {
    return this.state;
  }

  reg(r: number): RegState {
    return this.state.cur.reg(r);
  }

  /** check_reg_arg(SRC_OP): the register must hold something. */
  srcReg(r: number): RegState {
    if (r > 10) this.reject(EINVAL, msg.invalidRegNo(r));
    const reg = this.reg(r);
    this.scratch.regs |= 1 << r;
    if (reg.type === 'not_init') this.reject(EACCES, msg.regNotReadOk(r));
    return reg;
  }

  /** check_reg_arg(DST_OP): the register may be written (never R10). */
  dstReg(r: number): RegState {
    if (r > 10) this.reject(EINVAL, msg.invalidRegNo(r));
    if (r === 10) this.reject(EACCES, msg.frameReadOnly(r));
    this.scratch.regs |= 1 << r;
    return this.reg(r);
  }

  insnAt(slot: number): Insn | undefined {
    return this.cfg.bySlot[slot];
  }

  /** The map (and value offset) an ld_imm64 names. */
  mapRef(insn: Insn): MapRef | undefined {
    const idx = this.arrayIndex.get(insn.idx);
    const viaResolver = idx !== undefined ? this.prog.mapOf?.(idx) : undefined;
    if (viaResolver) return viaResolver;
    const map = this.prog.maps[insn.imm];
    if (!map) return undefined;
    return { map, valueOffset: insn.imm2 ?? 0 };
  }

/**
   * push_stack(): explore `st` later from slot `at`. Sync branches count against the current
   * saved state; an async callback's state stands alone (no parent), as push_async_cb() makes it.
   * Past BPF_COMPLEXITY_LIMIT_JMP_SEQ pending states the caller fails with `errno`
   * (check_cond_jmp_op() turns the failed push into EFAULT).
   */
  pushState(st: VerifierState, at: number, prevIdx: number, async = false, errno = E2BIG): void {
    st.insnIdx = at;
    st.prevInsnIdx = prevIdx;
    const parent = async ? undefined : this.parent;
    if (parent) parent.branches++;
    this.pending.push({ state: st, parent, logPos: this.log.pos });
    if (this.pending.length > BPF_COMPLEXITY_LIMIT_JMP_SEQ) {
      this.reject(errno, async ? msg.jmpSeqTooComplexAsync(this.pending.length) : msg.jmpSeqTooComplex(this.pending.length));
    }
  }

  /** explored_state(): the bucket of states for slot `idx` seen from a frame called at `callsite`. */
  exploredBucket(idx: number, callsite: number): ExploredState[] {
    const key = ((idx ^ callsite) >>> 0) % Math.max(1, this.cfg.slots);
    let list = this.explored.get(key);
    if (list === undefined) { list = []; this.explored.set(key, list); }
    return list;
  }

  /** mark_verifier_state_scratched(): the next state print shows everything. */
  scratchAll(): void {
    this.scratch.regs = 0x7ff;
    this.scratch.allSlots = true;
  }

  /** mark_verifier_state_clean(). */
  scratchClear(): void {
    this.scratch.regs = 0;
    this.scratch.slotsLo = 0;
    this.scratch.slotsHi = 0;
    this.scratch.allSlots = false;
  }

  /** print_insn_state() of the current frame, when anything was touched. */
  printInsnState(insnIdx: number, force = false): void {
    if (!this.log.enabled) return;
    const s = this.scratch;
    if (!force && s.regs === 0 && !s.allSlots && s.slotsLo === 0 && s.slotsHi === 0) return;
    this.log.insnState(insnIdx, frameStr(this.state, this.state.curframe, s));
    this.scratchClear();
  }

  /** Record the deepest stack byte the current subprogram touches. */
  touchStack(depth: number): void {
    const sub = this.state.cur.subprog;
    if (depth > (this.stackDepth[sub] ?? 0)) this.stackDepth[sub] = depth;
  }
}

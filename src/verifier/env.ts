/**
 * The verification environment (the kernel's struct bpf_verifier_env): the program, its control
 * flow, the current state, the log and the counters. One per verify() call; the check-* modules
 * take it as their first argument rather than closing over it.
 */
import type { Insn } from '../isa/index.ts';
import { EACCES } from '../uapi/errno.ts';
import type { Cfg } from './cfg.ts';
import { Reject, VerifierLog, type Scratch } from './log.ts';
import * as msg from './messages.ts';
import type { RegState } from './reg.ts';
import type { VerifierState } from './state.ts';
import type { InsnFact, MapRef, VerifierProgram } from './types.ts';

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
  readonly scratch: Scratch = { regs: 0, slots: new Set() };
  /** Array index of each slot's Insn. */
  readonly arrayIndex: Map<number, number>;

  constructor(prog: VerifierProgram, cfg: Cfg, log: VerifierLog) {
    this.prog = prog;
    this.cfg = cfg;
    this.log = log;
    this.stackDepth = cfg.subprogStarts.map(() => 0);
    this.arrayIndex = new Map(prog.insns.map((i, k) => [i.idx, k]));
  }

  newId(): number {
    return ++this.idGen;
  }

  reject(errno: number, message: string): never {
    throw new Reject(errno, message);
  }

  get cur(): VerifierState {
    return this.state;
  }

  reg(r: number): RegState {
    return this.state.cur.reg(r);
  }

  /** check_reg_arg(SRC_OP): the register must hold something. */
  srcReg(r: number): RegState {
    if (r > 10) this.reject(EACCES, msg.invalidRegNo(r));
    const reg = this.reg(r);
    this.scratch.regs |= 1 << r;
    if (reg.type === 'not_init') this.reject(EACCES, msg.regNotReadOk(r));
    return reg;
  }

  /** check_reg_arg(DST_OP): the register may be written (never R10). */
  dstReg(r: number): RegState {
    if (r > 10) this.reject(EACCES, msg.invalidRegNo(r));
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

  /** Record the deepest stack byte the current subprogram touches. */
  touchStack(depth: number): void {
    const sub = this.state.cur.subprog;
    if (depth > (this.stackDepth[sub] ?? 0)) this.stackDepth[sub] = depth;
  }
}

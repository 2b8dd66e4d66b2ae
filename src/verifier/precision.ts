/**
 * Precision of scalars, as far as widening needs it (mark_chain_precision() and
 * widen_imprecise_scalars(), kernel/bpf/verifier.c v6.18).
 *
 * The kernel marks a scalar "precise" when safety depends on its exact value (a pointer offset,
 * a helper's size, a decided branch, a constant map key, a return value), and backtracks the mark
 * to the values it was computed from. When a sync callback returns to its call site, scalars
 * that differ from the previous iteration and are not precise are widened to unknown, so loops
 * like `bpf_loop(n, cb, &sum)` with `*sum += i` converge instead of being walked n times.
 *
 * tsbpf gets the same marks forward: each scalar carries a provenance node (reg.ts `Prov`)
 * shared by its copies and linked to its sources, and a new checkpoint starts fresh nodes linked
 * to the old ones (mark_all_scalars_imprecise()). Tracking is on only for programs with sync
 * callbacks; pruning compares all scalars as precise anyway.
 */
import { BPF_ALU, BPF_ALU64, BPF_MOV, BPF_X, insnClass, insnOp, insnSrcBit, type Insn } from '../isa/index.ts';
import type { Env } from './env.ts';
import { markRegUnknown, type Prov, type RegState } from './reg.ts';
import type { FuncState, VerifierState } from './state.ts';
import { tnumIsConst } from './tnum.ts';

const leaf = (): Prov => ({ precise: false, srcs: [] });

/** Sources of an ALU result, captured before the instruction runs. */
export function aluSources(env: Env, insn: Insn): (Prov | undefined)[] | undefined {
  const cls = insnClass(insn.code);
  if ((cls !== BPF_ALU && cls !== BPF_ALU64) || insnOp(insn.code) === BPF_MOV) return undefined;
  const frame = env.state.cur;
  return [frame.regs[insn.dst]?.prov, insnSrcBit(insn.code) === BPF_X ? frame.regs[insn.src]?.prov : undefined];
}

/** After an instruction: new scalars get nodes (an ALU result one linked to its sources). */
export function assignProvenance(env: Env, insn: Insn, srcs: (Prov | undefined)[] | undefined): void {
  const frame = env.state.cur;
  if (srcs) {
    const dst = frame.reg(insn.dst);
    if (dst.type === 'scalar') dst.prov = { precise: false, srcs };
  }
  for (const r of frame.regs) if (r.type === 'scalar' && r.prov === undefined) r.prov = leaf();
  for (const s of frame.stack) if (s.isSpilled() && s.spilled.type === 'scalar' && s.spilled.prov === undefined) s.spilled.prov = leaf();
}

/** mark_chain_precision(): the value in `reg` and everything it came from are precise. */
export function markPrecise(reg: RegState): void {
  if (reg.type !== 'scalar' || reg.prov === undefined) return;
  const work: Prov[] = [reg.prov];
  while (work.length > 0) {
    const p = work.pop() as Prov;
    if (p.precise) continue;
    p.precise = true;
    for (const s of p.srcs) if (s !== undefined && !s.precise) work.push(s);
  }
}

function eachScalar(st: VerifierState, fn: (r: RegState) => void): void {
  for (const f of st.frames) {
    for (const r of f.regs) if (r.type === 'scalar') fn(r);
    for (const s of f.stack) if (s.isSpilled() && s.spilled.type === 'scalar') fn(s.spilled);
  }
}

/** mark_all_scalars_imprecise() on the state that continues past a new checkpoint. */
export function restartPrecision(st: VerifierState): void {
  eachScalar(st, (r) => { r.prov = { precise: false, srcs: [r.prov] }; });
}

function sameScalar(a: RegState, b: RegState): boolean {
  return a.varOff.value === b.varOff.value && a.varOff.mask === b.varOff.mask && a.smin === b.smin && a.smax === b.smax &&
    a.umin === b.umin && a.umax === b.umax && a.s32min === b.s32min && a.s32max === b.s32max &&
    a.u32min === b.u32min && a.u32max === b.u32max && a.id === b.id;
}

function maybeWiden(old: RegState, cur: RegState): void {
  if (old.type !== 'scalar' || cur.type !== 'scalar') return;
  if (old.prov?.precise || cur.prov?.precise || sameScalar(old, cur)) return;
  markRegUnknown(cur);
  cur.prov = { precise: false, srcs: [] };
}

/** widen_imprecise_scalars(): `cur` (back at a callback's call site) against the previous iteration `old`. */
export function widenImpreciseScalars(old: VerifierState, cur: VerifierState): void {
  for (let fr = old.frames.length - 1; fr >= 0; fr--) {
    const fo = old.frames[fr] as FuncState, fc = cur.frames[fr] as FuncState;
    if (!fc) continue;
    for (let i = 0; i < fo.regs.length; i++) maybeWiden(fo.reg(i), fc.reg(i));
    for (let spi = 0; spi < fo.stack.length; spi++) {
      const so = fo.stack[spi], sc = fc.stack[spi];
      if (so?.isSpilled() && sc?.isSpilled()) maybeWiden(so.spilled, sc.spilled);
    }
  }
}

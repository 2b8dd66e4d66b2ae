/**
 * Scalar precision (kernel/bpf/verifier.c v6.18): which scalars pruning must compare exactly.
 *
 * Scalars start imprecise; a state saved at a prune point forgets the marks it inherited
 * (mark_all_scalars_imprecise()). When a decision relies on a scalar's exact value (a pointer
 * offset, a helper's size or constant argument, a decided branch, a constant map key, a
 * return value), mark_chain_precision() walks the path backwards (backtrack.ts) and marks the
 * value and everything it came from precise in the saved states. Pruning (prune.ts) compares
 * only precise scalars; a pruned path hands the old state's marks on to its own saved states
 * (propagate_precision()). Sync callbacks widen the imprecise scalars that changed between
 * iterations (widen_imprecise_scalars()), so loops like `bpf_loop(n, cb, &sum)` converge.
 */
import type { Env } from './env.ts';
import { markChainPrecisionFrom } from './backtrack.ts';
import { IdMap } from './prune.ts';
import { markRegUnknown, type RegState } from './reg.ts';
import type { FuncState, VerifierState } from './state.ts';

/** mark_chain_precision(): the current frame's register `regno` must be exact. */
export function markChainPrecision(env: Env, regno: number): void {
  markChainPrecisionFrom(env, regno);
}

/** get_constant_map_key()'s mark: spilled slot `spi` of frame `frameno` must be exact (mark_chain_precision_batch()). */
export function markSlotPrecision(env: Env, frameno: number, spi: number): void {
  env.prec.bt.setSlot(frameno, spi);
  markChainPrecisionFrom(env, -1);
}

/**
 * propagate_precision(): the current path was pruned against `old`; what `old` needed exact,
 * the current path's saved states need too (a cleaned `old` no longer holds its dead values).
 */
export function propagatePrecision(env: Env, old: VerifierState): void {
  const bt = env.prec.bt;
  const log = env.log.level > 1 ? env.log : undefined;
  for (let fr = old.curframe; fr >= 0; fr--) {
    const f = old.frames[fr] as FuncState;
    const names: string[] = [];
    for (let r = 0; r < 10; r++) {
      const reg = f.reg(r);
      if (reg.type !== 'scalar' || !reg.precise) continue;
      names.push(`r${r}`);
      bt.setReg(fr, r);
    }
    f.stack.forEach((slot, spi) => {
      if (!slot.isSpilled() || slot.spilled.type !== 'scalar' || !slot.spilled.precise) return;
      names.push(`fp${-(spi + 1) * 8}`);
      bt.setSlot(fr, spi);
    });
    if (names.length > 0) log?.print(`frame ${fr}: propagating ${names.join(',')}`);
  }
  markChainPrecisionFrom(env, -1);
}

/** mark_all_scalars_imprecise(): a new checkpoint starts with no precision marks. */
export function markAllScalarsImprecise(st: VerifierState): void {
  for (const f of st.frames) {
    for (const r of f.regs) if (r.type === 'scalar') r.precise = false;
    for (const s of f.stack) if (s.isSpilled() && s.spilled.type === 'scalar') s.spilled.precise = false;
  }
}

/** regs_exact() for two scalars. */
function scalarsExact(a: RegState, b: RegState, ids: IdMap): boolean {
  return a.varOff.value === b.varOff.value && a.varOff.mask === b.varOff.mask && a.smin === b.smin && a.smax === b.smax &&
    a.umin === b.umin && a.umax === b.umax && a.s32min === b.s32min && a.s32max === b.s32max &&
    a.u32min === b.u32min && a.u32max === b.u32max && a.off === b.off && ids.check(a.id, b.id) &&
    ids.check(a.refObjId, b.refObjId);
}

/** maybe_widen_reg(). */
function maybeWiden(old: RegState, cur: RegState, ids: IdMap): void {
  if (old.type !== 'scalar' || cur.type !== 'scalar') return;
  if (old.precise || cur.precise || scalarsExact(old, cur, ids)) return;
  markRegUnknown(cur);
}

/** widen_imprecise_scalars(): `cur` (back at a callback's call site) against the previous iteration `old`. */
export function widenImpreciseScalars(old: VerifierState, cur: VerifierState): void {
  const ids = new IdMap();
  for (let fr = old.frames.length - 1; fr >= 0; fr--) {
    const fo = old.frames[fr] as FuncState, fc = cur.frames[fr];
    if (!fc) continue;
    for (let i = 0; i < fo.regs.length; i++) maybeWiden(fo.reg(i), fc.reg(i), ids);
    for (let spi = 0; spi < fo.stack.length; spi++) {
      const so = fo.stack[spi], sc = fc.stack[spi];
      if (so?.isSpilled() && sc?.isSpilled()) maybeWiden(so.spilled, sc.spilled, ids);
    }
  }
}

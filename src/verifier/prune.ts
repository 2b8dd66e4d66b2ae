/**
 * State equivalence for pruning: a path reaching a prune point in a state that is "within" one
 * already fully explored there is safe (is_state_visited(), states_equal(), regsafe(),
 * stacksafe(), kernel/bpf/verifier.c v6.18).
 *
 * Simplification, documented: scalars are always compared as if precise (range and tnum
 * containment); the kernel ignores imprecise scalars. This prunes less, never unsoundly. Register
 * liveness is the static liveness of cfg.ts instead of the kernel's read marks.
 */
import type { RegState } from './reg.ts';
import { STACK_INVALID, STACK_MISC, STACK_SPILL, type FuncState, type VerifierState } from './state.ts';
import { tnumIn } from './tnum.ts';

/** check_ids(): ids must map one-to-one between the old and the current state. */
class IdMap {
  private readonly oldToCur = new Map<number, number>();
  private readonly curToOld = new Map<number, number>();
  check(o: number, c: number): boolean {
    if (o === 0 && c === 0) return true;
    if (o === 0 || c === 0) return false;
    const a = this.oldToCur.get(o), b = this.curToOld.get(c);
    if (a === undefined && b === undefined) { this.oldToCur.set(o, c); this.curToOld.set(c, o); return true; }
    return a === c && b === o;
  }
}

function rangeWithin(o: RegState, c: RegState): boolean {
  return o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax &&
    o.u32min <= c.u32min && o.u32max >= c.u32max && o.s32min <= c.s32min && o.s32max >= c.s32max;
}

/** regsafe(): every value `cur` may hold, `old` may hold too, with the same meaning. */
export function regsafe(o: RegState, c: RegState, ids: IdMap, exact: boolean): boolean {
  if (exact) {
    return o.type === c.type && o.maybeNull === c.maybeNull && o.off === c.off && o.varOff.value === c.varOff.value &&
      o.varOff.mask === c.varOff.mask && rangeWithin(o, c) && rangeWithin(c, o) && o.map === c.map &&
      o.range === c.range && o.frameno === c.frameno && o.subprog === c.subprog && ids.check(o.id, c.id) &&
      ids.check(o.refObjId, c.refObjId);
  }
  if (o.type === 'not_init') return true;
  if (o.type !== c.type) return false;
  switch (o.type) {
    case 'scalar':
      if (o.id !== 0 && !ids.check(o.id, c.id)) return false;
      return rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
    case 'pkt': case 'pkt_meta':
      if (c.range < o.range) return false;
      if (o.off !== c.off) return false;
      if (!ids.check(o.id, c.id)) return false;
      return rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
    default:
      return o.maybeNull === c.maybeNull && o.rdonly === c.rdonly && o.ringbuf === c.ringbuf && o.off === c.off &&
        o.map === c.map && o.range === c.range && o.frameno === c.frameno && o.subprog === c.subprog &&
        ids.check(o.id, c.id) && ids.check(o.refObjId, c.refObjId) && rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
  }
}

function stacksafe(o: FuncState, c: FuncState, ids: IdMap, exact: boolean): boolean {
  const n = Math.max(o.stack.length, c.stack.length);
  for (let spi = 0; spi < n; spi++) {
    const os = o.stack[spi], cs = c.stack[spi];
    for (let i = 0; i < 8; i++) {
      const ot = os?.slotType[i] ?? STACK_INVALID, ct = cs?.slotType[i] ?? STACK_INVALID;
      if (exact) { if (ot !== ct) return false; continue; }
      // Root may read uninitialised stack, so unknown bytes accept anything.
      if (ot === STACK_INVALID || ot === STACK_MISC) continue;
      if (ot !== ct) return false;
    }
    if (os?.slotType[7] === STACK_SPILL && cs && !regsafe(os.spilled, cs.spilled, ids, exact)) return false;
  }
  return true;
}

/** states_equal(). `live[f]` is the live-register mask for frame f. */
export function statesEqual(o: VerifierState, c: VerifierState, live: readonly number[], exact: boolean): boolean {
  if (o.frames.length !== c.frames.length) return false;
  if (o.refs.length !== c.refs.length || o.activeLockId !== 0 !== (c.activeLockId !== 0)) return false;
  if (o.activeLockMap !== c.activeLockMap) return false;
  const ids = new IdMap();
  for (let f = 0; f < o.frames.length; f++) {
    const of = o.frames[f] as FuncState, cf = c.frames[f] as FuncState;
    if (of.callsite !== cf.callsite || of.callback !== cf.callback) return false;
    const mask = live[f] ?? 0xffff;
    for (let r = 0; r < 11; r++) {
      if (!exact && !(mask & (1 << r))) continue;
      if (!regsafe(of.reg(r), cf.reg(r), ids, exact)) return false;
    }
    if (!stacksafe(of, cf, ids, exact)) return false;
  }
  for (let k = 0; k < o.refs.length; k++) if (!ids.check((o.refs[k] as { id: number }).id, (c.refs[k] as { id: number }).id)) return false;
  return true;
}

/** A state saved at a prune point, with the count of paths below it still being explored. */
export interface ExploredState {
  readonly state: VerifierState;
  branches: number;
  readonly parent: ExploredState | undefined;
  /** Times this state pruned a path, and times it failed to while new states were being saved. */
  hits: number;
  misses: number;
}

/** update_branch_counts(): a path ended; states whose every path ended become usable for pruning. */
export function pathEnded(parent: ExploredState | undefined): void {
  for (let st = parent; st; st = st.parent) {
    st.branches--;
    if (st.branches > 0) break;
  }
}

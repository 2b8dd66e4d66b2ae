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
import { STACK_INVALID, STACK_MISC, STACK_SPILL, type FuncState, type RefState, type VerifierState } from './state.ts';
import { tnumIn } from './tnum.ts';

/** check_ids(): ids must map one-to-one between the old and the current state. */
class IdMap {
  // Allocated on the first id: most comparisons never meet one.
  private oldToCur: Map<number, number> | undefined;
  private curToOld: Map<number, number> | undefined;
  check(o: number, c: number): boolean {
    if (o === 0 && c === 0) return true;
    if (o === 0 || c === 0) return false;
    this.oldToCur ??= new Map();
    this.curToOld ??= new Map();
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
  // Two known scalar constants (the common case in loops): equal or not, nothing else to compare.
  if (o.type === 'scalar' && c.type === 'scalar' && o.varOff.mask === 0n && c.varOff.mask === 0n) {
    if (o.varOff.value !== c.varOff.value) return false;
    return exact || o.id !== 0 ? ids.check(o.id, c.id) : true;
  }
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
  // Loop detection also needs the same depth of unrolled callbacks (is_state_visited()).
  if (exact && o.callbackUnrollDepth !== c.callbackUnrollDepth) return false;
  if (o.refs.length !== c.refs.length) return false;
  const ids = new IdMap();
  for (let f = 0; f < o.frames.length; f++) {
    const of = o.frames[f] as FuncState, cf = c.frames[f] as FuncState;
    if (of.callsite !== cf.callsite || of.callback !== cf.callback) return false;
    // func_states_equal(): a state that already iterated a callback more covers no fewer iterations.
    if (of.callbackDepth > cf.callbackDepth) return false;
    const mask = live[f] ?? 0xffff;
    for (let r = 0; r < 11; r++) {
      if (!(mask & (1 << r))) continue;
      if (!regsafe(of.reg(r), cf.reg(r), ids, exact)) return false;
    }
    if (!stacksafe(of, cf, ids, exact)) return false;
  }
  // refsafe(): the same references in the same order, locks on the same map.
  for (let k = 0; k < o.refs.length; k++) {
    const or = o.refs[k] as RefState, cr = c.refs[k] as RefState;
    if (!ids.check(or.id, cr.id) || or.kind !== cr.kind || or.ptr !== cr.ptr) return false;
  }
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
  /** Dropped from its bucket while still being explored: freed (uncounted) once its paths end. */
  evicted?: boolean;
}

/**
 * update_branch_counts(): a path ended; states whose every path ended become usable for pruning.
 * Returns how many evicted states this frees (they no longer count towards peak_states).
 */
export function pathEnded(parent: ExploredState | undefined): number {
  let freed = 0;
  for (let st = parent; st; st = st.parent) {
    st.branches--;
    if (st.branches > 0) break;
    if (st.evicted) freed++;
  }
  return freed;
}

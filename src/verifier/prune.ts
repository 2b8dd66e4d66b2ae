/**
 * State equivalence for pruning: a path reaching a prune point in a state that is "within" one
 * already fully explored there is safe (is_state_visited(), states_equal(), regsafe(),
 * stacksafe(), kernel/bpf/verifier.c v6.18).
 *
 * Scalars are compared only where the old state marked them precise (precision.ts); an
 * imprecise old scalar matches any scalar. Only registers live at the position are compared (the
 * static liveness of cfg.ts); a finished old state is cleaned first (clean_live_states(): dead
 * registers and, by stack-liveness.ts, dead stack slots cleared), so what it cleared matches
 * anything.
 */
import { RegState, addConstFlag, hasAddConst, linkId, markRegUnknown } from './reg.ts';
import { STACK_INVALID, STACK_MISC, STACK_SPILL, type FuncState, type RefState, type StackSlot, type VerifierState } from './state.ts';
import { tnumIn } from './tnum.ts';

/**
 * How strictly states are compared (enum exact_level): NOT_EXACT for pruning, RANGE_WITHIN (all
 * scalars by range) for a callback's iterations, EXACT for loop detection.
 */
export type ExactLevel = 'not_exact' | 'range_within' | 'exact';

/** check_ids(): ids must map one-to-one between the old and the current state. */
export class IdMap {
  // Allocated on the first id: most comparisons never meet one.
  private oldToCur: Map<number, number> | undefined;
  private curToOld: Map<number, number> | undefined;
  private tmp = 0;
  check(o: number, c: number): boolean {
    if (o === 0 && c === 0) return true;
    if (o === 0 || c === 0) return false;
    this.oldToCur ??= new Map();
    this.curToOld ??= new Map();
    const a = this.oldToCur.get(o), b = this.curToOld.get(c);
    if (a === undefined && b === undefined) { this.oldToCur.set(o, c); this.curToOld.set(c, o); return true; }
    return a === c && b === o;
  }

  /** check_scalar_ids(): an unlinked old scalar accepts anything; an unlinked current one gets a fresh id. */
  checkScalar(o: number, c: number): boolean {
    if (o === 0) return true;
    const cur = c !== 0 ? c : --this.tmp;
    if (!this.check(o, cur)) return false;
    // An old `rY + K` must come from the register the old rY maps to: the ids without the flag map too.
    return !hasAddConst(o) || this.check(linkId(o), cur > 0 ? linkId(cur) : cur);
  }
}

function rangeWithin(o: RegState, c: RegState): boolean {
  return o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax &&
    o.u32min <= c.u32min && o.u32max >= c.u32max && o.s32min <= c.s32min && o.s32max >= c.s32max;
}

/** regsafe(): every value `cur` may hold, `old` may hold too, with the same meaning. */
export function regsafe(o: RegState, c: RegState, ids: IdMap, exact: ExactLevel): boolean {
  if (o.type === 'not_init' && (exact === 'not_exact' || c.type === 'not_init')) return true;
  if (exact === 'exact') {
    return o.type === c.type && o.maybeNull === c.maybeNull && o.off === c.off && o.varOff.value === c.varOff.value &&
      o.varOff.mask === c.varOff.mask && rangeWithin(o, c) && rangeWithin(c, o) && o.map === c.map &&
      o.range === c.range && o.frameno === c.frameno && o.subprog === c.subprog && ids.check(o.id, c.id) &&
      ids.check(o.refObjId, c.refObjId);
  }
  if (o.type !== c.type) return false;
  switch (o.type) {
    case 'scalar':
      if (!o.precise && exact === 'not_exact') return true;
      // A linked old scalar: the current one must be linked the same way (no delta, or a delta of
      // the same width and size), since sync_linked_regs() treats them differently.
      if (o.id !== 0 && addConstFlag(o.id) !== addConstFlag(c.id)) return false;
      if (hasAddConst(o.id) && o.off !== c.off) return false;
      if (!ids.checkScalar(o.id, c.id)) return false;
      // Two known constants (the common case in loops): equal or not, nothing else to compare.
      if (o.varOff.mask === 0n && c.varOff.mask === 0n) return o.varOff.value === c.varOff.value;
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

/** What an all-MISC slot reads as: an imprecise unknown scalar. */
const UNBOUND = ((): RegState => { const r = new RegState(); markRegUnknown(r); return r; })();

/** scalar_reg_for_stack(): a 64-bit scalar spill, or an all-MISC slot as an unknown scalar. */
function scalarForStack(s: StackSlot): RegState | undefined {
  if (s.slotType[0] === STACK_SPILL && s.spilled.type === 'scalar') return s.spilled;
  // Root may read uninitialised stack: those bytes count as MISC.
  return s.slotType.every((t) => t === STACK_MISC || t === STACK_INVALID) ? UNBOUND : undefined;
}

/**
 * stacksafe(): over the old state's allocated stack only (slots the current state has beyond it
 * were never used by the old one, even under EXACT); short of it, the current one differs except
 * where the old bytes are unknown (and, under RANGE_WITHIN / EXACT, not at all).
 */
function stacksafe(o: FuncState, c: FuncState, ids: IdMap, exact: ExactLevel): boolean {
  for (let spi = 0; spi < o.stack.length; spi++) {
    const os = o.stack[spi], cs = c.stack[spi];
    for (let i = 0; i < 8; i++) {
      const ot = os?.slotType[i] ?? STACK_INVALID, ct = cs?.slotType[i] ?? STACK_INVALID;
      if (exact !== 'not_exact' && (cs === undefined || ot !== ct)) return false;
      // Root may read uninitialised stack, so unknown bytes accept anything.
      if (ot === STACK_INVALID || ot === STACK_MISC) continue;
      if (os === undefined || cs === undefined) return false;
      // A 64-bit scalar spill against bytes that read as an unknown scalar, either way round.
      const oreg = scalarForStack(os), creg = scalarForStack(cs);
      if (oreg !== undefined && creg !== undefined) {
        if (!regsafe(oreg, creg, ids, exact)) return false;
        break;
      }
      if (ot !== ct) return false;
      if (i === 7 && ot === STACK_SPILL && !regsafe(os.spilled, cs.spilled, ids, exact)) return false;
    }
  }
  return true;
}

/**
 * states_equal(). `live[f]` is the mask of registers live in frame f at the current state's
 * position (func_states_equal() compares only those, at every exactness level). Stack slots a
 * finished old state no longer needs were cleared when it was cleaned (do-check.ts), so they
 * match anything.
 */
export function statesEqual(o: VerifierState, c: VerifierState, live: readonly number[], exact: ExactLevel): boolean {
  if (o.frames.length !== c.frames.length) return false;
  // Loop detection also needs the same depth of unrolled callbacks (is_state_visited()).
  if (exact === 'exact' && o.callbackUnrollDepth !== c.callbackUnrollDepth) return false;
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

/**
 * states_maybe_looping(): the cheap test before the exact comparison that proves an infinite loop.
 * The kernel memcmp()s the current frame's registers, all of them, live or dead, up to `frameno`:
 * the type with its flags, offsets, what the pointer points to, bounds, and `id` / `ref_obj_id`
 * as numbers (not through an id map), so two states whose map lookups hand out different ids,
 * or that differ in a dead register, are not a loop.
 */
export function statesMaybeLooping(o: VerifierState, c: VerifierState): boolean {
  if (o.curframe !== c.curframe) return false;
  const fo = o.frames[o.curframe] as FuncState, fc = c.frames[c.curframe] as FuncState;
  for (let r = 0; r < 11; r++) {
    const a = fo.reg(r), b = fc.reg(r);
    if (a.type !== b.type || a.maybeNull !== b.maybeNull || a.rdonly !== b.rdonly || a.ringbuf !== b.ringbuf ||
      a.trusted !== b.trusted || a.off !== b.off || a.map !== b.map || a.mapUid !== b.mapUid || a.range !== b.range ||
      a.subprog !== b.subprog || a.btfName !== b.btfName || a.varOff.value !== b.varOff.value ||
      a.varOff.mask !== b.varOff.mask || a.smin !== b.smin || a.smax !== b.smax || a.umin !== b.umin ||
      a.umax !== b.umax || a.s32min !== b.s32min || a.s32max !== b.s32max || a.u32min !== b.u32min ||
      a.u32max !== b.u32max || a.id !== b.id || a.refObjId !== b.refObjId) return false;
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
  /** Dead registers and stack slots were cleared (clean_verifier_state()); done once. */
  cleaned?: boolean;
}

/**
 * update_branch_counts(): a path ended; states whose every path ended become usable for pruning.
 * Returns how many evicted states this frees (they no longer count towards peak_states).
 */
export function pathEnded(parent: ExploredState | undefined, finished?: (st: ExploredState) => void): number {
  let freed = 0;
  for (let st = parent; st; st = st.parent) {
    st.branches--;
    if (st.branches > 0) break;
    finished?.(st);
    if (st.evicted) freed++;
  }
  return freed;
}

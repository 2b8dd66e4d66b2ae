/**
 * Conditional jumps: is_branch_taken() prunes branches the ranges decide, reg_set_min_max()
 * narrows both registers on each side, null checks propagate through register ids
 * (mark_ptr_or_null_regs) and comparisons against data_end give packet pointers their range
 * (try_match_pkt_pointers / find_good_pkt_pointers). kernel/bpf/verifier.c (v6.18).
 */
import {
  BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT,
  BPF_JA, BPF_JCOND, BPF_X, insnClass, insnOp, insnSrcBit, type Insn,
} from '../isa/index.ts';
import { EINVAL } from '../uapi/errno.ts';
import { regBoundsSync, zext32To64 } from './bounds.ts';
import * as msg from './messages.ts';
import { pushInsnHistory } from './backtrack.ts';
import { markChainPrecision } from './precision.ts';
import type { Env } from './env.ts';
import { ADD_CONST32, RegState, addConstFlag, isPointer, linkId, markRegConst, regIsNull } from './reg.ts';
import { addRanges } from './alu-scalar.ts';
import type { LinkedReg, VerifierState } from './state.ts';
import type { VerifierMap } from './types.ts';
import {
  tnumAdd, tnumAnd, tnumConst, tnumIntersect, tnumIsConst, tnumOr, tnumSubreg, tnumWithSubreg,
} from './tnum.ts';

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** The operation that holds on the fall-through side (rev_opcode); JSET becomes "no bit set". */
const JSET_FALSE = -1;
function revOpcode(op: number): number {
  switch (op) {
    case BPF_JEQ: return BPF_JNE;
    case BPF_JNE: return BPF_JEQ;
    case BPF_JSET: return JSET_FALSE;
    case BPF_JGT: return BPF_JLE;
    case BPF_JGE: return BPF_JLT;
    case BPF_JLT: return BPF_JGE;
    case BPF_JLE: return BPF_JGT;
    case BPF_JSGT: return BPF_JSLE;
    case BPF_JSGE: return BPF_JSLT;
    case BPF_JSLT: return BPF_JSGE;
    default: return BPF_JSGT;
  }
}

/** Swapped-operand form (a > b ⇔ b < a). */
function flipOpcode(op: number): number {
  switch (op) {
    case BPF_JGT: return BPF_JLT;
    case BPF_JGE: return BPF_JLE;
    case BPF_JLT: return BPF_JGT;
    case BPF_JLE: return BPF_JGE;
    case BPF_JSGT: return BPF_JSLT;
    case BPF_JSGE: return BPF_JSLE;
    case BPF_JSLT: return BPF_JSGT;
    case BPF_JSLE: return BPF_JSGE;
    default: return op;
  }
}

/** The compared width's bounds and tnum; a 64-bit view also carries the 32-bit subrange (`sub`). */
interface View {
  umin: bigint; umax: bigint; smin: bigint; smax: bigint; value: bigint; mask: bigint;
  sub?: { umin: bigint; umax: bigint; smin: bigint; smax: bigint };
}
function view(r: RegState, jmp32: boolean): View {
  if (!jmp32) {
    return {
      umin: r.umin, umax: r.umax, smin: r.smin, smax: r.smax, value: r.varOff.value, mask: r.varOff.mask,
      sub: { umin: r.u32min, umax: r.u32max, smin: r.s32min, smax: r.s32max },
    };
  }
  const t = tnumSubreg(r.varOff);
  return { umin: r.u32min, umax: r.u32max, smin: r.s32min, smax: r.s32max, value: t.value, mask: t.mask };
}

/** is_scalar_branch_taken(): 1 taken, 0 not taken, -1 unknown. */
function scalarBranchTaken(a: View, b: View, op: number): number {
  const aConst = a.mask === 0n, bConst = b.mask === 0n;
  switch (op) {
    case BPF_JEQ: case BPF_JNE: {
      let eq = -1;
      if (aConst && bConst) eq = a.value === b.value ? 1 : 0;
      else if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin) eq = 0;
      // A 64-bit comparison whose 64-bit ranges overlap may still be decided by the 32-bit ones.
      else if (a.sub && b.sub && (a.sub.umin > b.sub.umax || a.sub.umax < b.sub.umin || a.sub.smin > b.sub.smax || a.sub.smax < b.sub.smin)) eq = 0;
      else if (((a.value ^ b.value) & ~(a.mask | b.mask)) !== 0n) eq = 0;
      if (eq < 0) return -1;
      return op === BPF_JEQ ? eq : 1 - eq;
    }
    case BPF_JSET: {
      // Either side may be the constant (the kernel swaps them).
      const [x, k] = bConst ? [a, b] : [b, a];
      if (!bConst && !aConst) return -1;
      if ((x.value & k.value) !== 0n) return 1;
      if (((x.value | x.mask) & k.value) === 0n) return 0;
      return -1;
    }
    case JSET_FALSE: {
      const r = scalarBranchTaken(a, b, BPF_JSET);
      return r < 0 ? -1 : 1 - r;
    }
    case BPF_JGT: return a.umin > b.umax ? 1 : a.umax <= b.umin ? 0 : -1;
    case BPF_JSGT: return a.smin > b.smax ? 1 : a.smax <= b.smin ? 0 : -1;
    case BPF_JLT: return a.umax < b.umin ? 1 : a.umin >= b.umax ? 0 : -1;
    case BPF_JSLT: return a.smax < b.smin ? 1 : a.smin >= b.smax ? 0 : -1;
    case BPF_JGE: return a.umin >= b.umax ? 1 : a.umax < b.umin ? 0 : -1;
    case BPF_JSGE: return a.smin >= b.smax ? 1 : a.smax < b.smin ? 0 : -1;
    case BPF_JLE: return a.umax <= b.umin ? 1 : a.umin > b.umax ? 0 : -1;
    case BPF_JSLE: return a.smax <= b.smin ? 1 : a.smin > b.smax ? 0 : -1;
    default: return -1;
  }
}

/** is_branch_taken(). */
export function isBranchTaken(a: RegState, b: RegState, op: number, jmp32: boolean): number {
  const pktAny = (r: RegState): boolean => r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end';
  if (pktAny(a) && pktAny(b) && !jmp32) return pktPtrBranchTaken(a, b, op);
  if (isPointer(a) || isPointer(b)) {
    // A pointer that cannot be NULL against the constant 0.
    let [p, k, o] = [a, b, op];
    if (!(k.type === 'scalar' && tnumIsConst(jmp32 ? tnumSubreg(k.varOff) : k.varOff))) [p, k, o] = [b, a, flipOpcode(op)];
    if (!(k.type === 'scalar' && tnumIsConst(jmp32 ? tnumSubreg(k.varOff) : k.varOff))) return -1;
    if (!regNotNull(p)) return -1;
    if ((jmp32 ? tnumSubreg(k.varOff) : k.varOff).value !== 0n) return -1;
    return o === BPF_JEQ ? 0 : o === BPF_JNE ? 1 : -1;
  }
  return scalarBranchTaken(view(a, jmp32), view(b, jmp32), op);
}

/** reg_not_null(): pointer types that are never NULL. */
function regNotNull(r: RegState): boolean {
  if (r.maybeNull) return false;
  return r.type === 'map_value' || r.type === 'map_key' || r.type === 'map_ptr' || r.type === 'mem' ||
    (r.type === 'btf_id' && r.trusted);
}

/** Packet pointer ranges past the end, set by mark_pkt_end(). */
const AT_PKT_END = -1;
const BEYOND_PKT_END = -2;

/** is_pkt_ptr_branch_taken(): a pointer known to be at or beyond pkt_end decides its comparisons. */
function pktPtrBranchTaken(a: RegState, b: RegState, op: number): number {
  let pkt: RegState;
  if (b.type === 'pkt_end') pkt = a;
  else if (a.type === 'pkt_end') { pkt = b; op = flipOpcode(op); } else return -1;
  if (pkt.range >= 0) return -1;
  switch (op) {
    case BPF_JLE: case BPF_JGT:
      return pkt.range === BEYOND_PKT_END ? (op === BPF_JGT ? 1 : 0) : -1;
    case BPF_JLT: case BPF_JGE:
      return pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END ? (op === BPF_JGE ? 1 : 0) : -1;
    default: return -1;
  }
}

/** mark_pkt_end(): after `pkt > pkt_end` (open) or `pkt >= pkt_end`, how far past the end it is. */
function markPktEnd(st: VerifierState, regno: number, rangeOpen: boolean): void {
  const r = st.cur.reg(regno);
  if (r.type !== 'pkt') return;
  r.range = rangeOpen ? BEYOND_PKT_END : AT_PKT_END;
}

/** regs_refine_cond_op(): what `a op b` being true says about a and b. */
function refine(a: RegState, b: RegState, op: number, jmp32: boolean): void {
  if (op === BPF_JGT || op === BPF_JGE || op === BPF_JSGT || op === BPF_JSGE) return refine(b, a, flipOpcode(op), jmp32);
  switch (op) {
    case BPF_JEQ:
      if (jmp32) {
        a.u32min = b.u32min = max(a.u32min, b.u32min); a.u32max = b.u32max = min(a.u32max, b.u32max);
        a.s32min = b.s32min = max(a.s32min, b.s32min); a.s32max = b.s32max = min(a.s32max, b.s32max);
        const t = tnumIntersect(tnumSubreg(a.varOff), tnumSubreg(b.varOff));
        a.varOff = tnumWithSubreg(a.varOff, t); b.varOff = tnumWithSubreg(b.varOff, t);
      } else {
        a.umin = b.umin = max(a.umin, b.umin); a.umax = b.umax = min(a.umax, b.umax);
        a.smin = b.smin = max(a.smin, b.smin); a.smax = b.smax = min(a.smax, b.smax);
        a.varOff = b.varOff = tnumIntersect(a.varOff, b.varOff);
      }
      break;
    case BPF_JNE: {
      let [x, k] = [a, b];
      if (!(jmp32 ? tnumIsConst(tnumSubreg(k.varOff)) : tnumIsConst(k.varOff))) [x, k] = [b, a];
      if (!(jmp32 ? tnumIsConst(tnumSubreg(k.varOff)) : tnumIsConst(k.varOff))) break;
      if (jmp32) {
        const v = tnumSubreg(k.varOff).value, sv = BigInt.asIntN(32, v);
        if (x.u32min === v) x.u32min++; else if (x.u32max === v) x.u32max--;
        if (x.s32min === sv) x.s32min++; else if (x.s32max === sv) x.s32max--;
      } else {
        const v = k.varOff.value, sv = BigInt.asIntN(64, v);
        if (x.umin === v) x.umin++; else if (x.umax === v) x.umax--;
        if (x.smin === sv) x.smin++; else if (x.smax === sv) x.smax--;
      }
      break;
    }
    case BPF_JSET: case JSET_FALSE: {
      if (!(jmp32 ? tnumIsConst(tnumSubreg(b.varOff)) : tnumIsConst(b.varOff))) break;
      const v = jmp32 ? tnumSubreg(b.varOff).value : b.varOff.value;
      if (op === BPF_JSET) {
        if ((v & (v - 1n)) === 0n) a.varOff = tnumOr(a.varOff, tnumConst(v));
      } else {
        a.varOff = tnumAnd(a.varOff, tnumConst(BigInt.asUintN(64, ~v)));
      }
      break;
    }
    case BPF_JLE:
      if (jmp32) { a.u32max = min(a.u32max, b.u32max); b.u32min = max(b.u32min, a.u32min); }
      else { a.umax = min(a.umax, b.umax); b.umin = max(b.umin, a.umin); }
      break;
    case BPF_JLT:
      if (jmp32) { a.u32max = min(a.u32max, b.u32max - 1n); b.u32min = max(b.u32min, a.u32min + 1n); }
      else { a.umax = min(a.umax, b.umax - 1n); b.umin = max(b.umin, a.umin + 1n); }
      break;
    case BPF_JSLE:
      if (jmp32) { a.s32max = min(a.s32max, b.s32max); b.s32min = max(b.s32min, a.s32min); }
      else { a.smax = min(a.smax, b.smax); b.smin = max(b.smin, a.smin); }
      break;
    case BPF_JSLT:
      if (jmp32) { a.s32max = min(a.s32max, b.s32max - 1n); b.s32min = max(b.s32min, a.s32min + 1n); }
      else { a.smax = min(a.smax, b.smax - 1n); b.smin = max(b.smin, a.smin + 1n); }
      break;
    default: break;
  }
}

/**
 * sync_linked_regs(): the scalars collected as linked to `known` (same id, flag aside) take its
 * refined value; one whose delta differs is `known` shifted by the difference of the two deltas,
 * keeping its own id and delta, zero-extended when either delta came from a 32-bit operation.
 * A 32-bit delta and a 64-bit one do not relate the two values: those are left alone.
 */
function syncLinked(state: VerifierState, known: RegState, linked: readonly LinkedReg[]): void {
  if (known.type !== 'scalar' || known.id === 0) return;
  const kFlag = addConstFlag(known.id);
  for (const e of linked) {
    const f = state.frames[e.frameno];
    if (f === undefined) continue;
    const r = e.isReg ? f.reg(e.regno) : f.slot(e.regno).spilled;
    if (r.type !== 'scalar' || r === known || linkId(r.id) !== linkId(known.id)) continue;
    const rFlag = addConstFlag(r.id);
    if (rFlag !== 0 && kFlag !== 0 && rFlag !== kFlag) continue;
    if ((rFlag === 0 && kFlag === 0) || r.off === known.off) {
      r.copyFrom(known);
      continue;
    }
    const off = r.off, id = r.id;
    const delta = new RegState();
    markRegConst(delta, BigInt(off - known.off));
    r.copyFrom(known);
    r.off = off;
    r.id = id;
    addRanges(r, delta);
    r.varOff = tnumAdd(r.varOff, delta.varOff);
    if (rFlag === ADD_CONST32 || kFlag === ADD_CONST32) zext32To64(r);
    regBoundsSync(r);
  }
}

/** reg_set_min_max() on one side of the branch; false when that side cannot happen. */
function regSetMinMax(state: VerifierState, a: RegState, b: RegState, op: number, jmp32: boolean, linked: readonly LinkedReg[]): boolean {
  if (a.type !== 'scalar' || b.type !== 'scalar') return true;
  refine(a, b, op, jmp32);
  regBoundsSync(a);
  regBoundsSync(b);
  if (a.smin > a.smax || a.umin > a.umax || a.s32min > a.s32max || a.u32min > a.u32max) return false;
  if (b.smin > b.smax || b.umin > b.umax || b.s32min > b.s32max || b.u32min > b.u32max) return false;
  syncLinked(state, b, linked);
  syncLinked(state, a, linked);
  return true;
}

/** LINKED_REGS_MAX: how many linked scalars one history entry holds. */
const LINKED_REGS_MAX = 6;

/**
 * collect_linked_regs(): the live registers and spilled slots holding scalar `id`, for the
 * history (a precise one makes the others precise when backtracking). Past the limit the id is dropped.
 */
function collectLinkedRegs(env: Env, st: VerifierState, anyId: number, out: LinkedReg[]): void {
  const id = linkId(anyId);
  const add = (r: RegState, frameno: number, regno: number, isReg: boolean): void => {
    if (r.type !== 'scalar' || linkId(r.id) !== id) return;
    if (out.length < LINKED_REGS_MAX) out.push({ frameno, regno, isReg });
    else r.id = 0;
  };
  for (let i = st.curframe; i >= 0; i--) {
    const f = st.frames[i] as VerifierState['frames'][number];
    const next = st.frames[i + 1];
    const live = env.cfg.liveIn[next ? next.callsite : st.insnIdx] ?? 0xffff;
    for (let j = 0; j < 10; j++) if (live & (1 << j)) add(f.reg(j), i, j, true);
    f.stack.forEach((s, spi) => { if (s.isSpilled()) add(s.spilled, i, spi, false); });
  }
}

/** mark_ptr_or_null_regs(): after `if (p == 0)`, every register with p's id is NULL or not. */
function markPtrOrNull(state: VerifierState, id: number, isNull: boolean): void {
  let refObj = 0;
  for (const r of state.allRegs()) {
    if (r.id !== id || !r.maybeNull) continue;
    if (isNull) {
      refObj = r.refObjId || refObj;
      markRegConst(r, 0n);
    } else {
      r.maybeNull = false;
      // mark_ptr_not_null_reg(): a lookup in a map-in-map yields the inner map (its template).
      if (r.type === 'map_value' && r.map?.innerMap) {
        r.type = 'map_ptr';
        r.map = innerMapMeta(r.map);
        // Each lookup yields its own inner map instance: timers check it (map_uid = the lookup's id).
        if ((r.map.record?.timerOff ?? -1) >= 0) r.mapUid = r.id;
      }
      if (!(r.type === 'map_value' && (r.map?.record?.spinLockOff ?? -1) >= 0)) r.id = 0;
    }
  }
  if (isNull && refObj) state.refs = state.refs.filter((x) => x.id !== refObj);
}

const INNER_META = new WeakMap<VerifierMap, VerifierMap>();

/**
 * map->inner_map_meta: the kernel checks inner maps against a nameless copy of the template
 * (bpf_map_meta_alloc()), one per outer map: it prints without `map=` and is not the template.
 */
function innerMapMeta(outer: VerifierMap): VerifierMap {
  let meta = INNER_META.get(outer);
  if (meta === undefined) {
    meta = { ...(outer.innerMap as VerifierMap), name: '' };
    INNER_META.set(outer, meta);
  }
  return meta;
}

const MAX_PACKET_OFF = 0xffff;

/** find_good_pkt_pointers(): every packet pointer with dst's id may access [0, off). */
function findGoodPktPointers(state: VerifierState, dst: RegState, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > BigInt(MAX_PACKET_OFF) || dst.umax + BigInt(dst.off) > BigInt(MAX_PACKET_OFF)) return;
  const range = rightOpen ? dst.off - 1 : dst.off;
  const { type, id } = dst;
  for (const r of state.allRegs()) if (r.type === type && r.id === id) r.range = Math.max(r.range, range);
}

const isInitPkt = (r: RegState, type: 'pkt'): boolean =>
  r.type === type && r.off === 0 && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/** try_match_pkt_pointers(): `this` is the fall-through state, `other` the taken one. */
function matchPktPointers(op: number, d: number, s: number, thisSt: VerifierState, other: VerifierState): void {
  const dr = thisSt.cur.reg(d), sr = thisSt.cur.reg(s);
  const dataEnd = (x: RegState, y: RegState): boolean => (x.type === 'pkt' && y.type === 'pkt_end') || (x.type === 'pkt_meta' && isInitPkt(y, 'pkt'));
  const fwd = dataEnd(dr, sr), rev = dataEnd(sr, dr);
  if (!fwd && !rev) return;
  const good = (st: VerifierState, reg: number, rightOpen: boolean): void => findGoodPktPointers(st, st.cur.reg(reg), rightOpen);
  switch (op) {
    case BPF_JGT:
      if (fwd) { good(thisSt, d, false); markPktEnd(other, d, true); } else { good(other, s, true); markPktEnd(thisSt, s, false); }
      break;
    case BPF_JLT:
      if (fwd) { good(other, d, true); markPktEnd(thisSt, d, false); } else { good(thisSt, s, false); markPktEnd(other, s, true); }
      break;
    case BPF_JGE:
      if (fwd) { good(thisSt, d, true); markPktEnd(other, d, false); } else { good(other, s, false); markPktEnd(thisSt, s, true); }
      break;
    case BPF_JLE:
      if (fwd) { good(other, d, false); markPktEnd(thisSt, d, true); } else { good(thisSt, s, true); markPktEnd(other, s, false); }
      break;
    default: break;
  }
}

/**
 * check_cond_jmp_op(): returns which successors are feasible. The env's current state becomes
 * the fall-through state; the returned `taken` state (when feasible) is the jump's.
 */
export function checkCondJmpOp(env: Env, insn: Insn): { fallthrough: boolean; taken: VerifierState | undefined } {
  const op = insnOp(insn.code);
  const jmp32 = insnClass(insn.code) === BPF_JMP32;
  const isX = insnSrcBit(insn.code) === BPF_X;
  if (op === BPF_JA || op > BPF_JCOND) env.reject(EINVAL, msg.invalidJmpOpcode(op));
  env.srcReg(insn.dst);
  if (isX ? insn.imm !== 0 : insn.src !== 0) env.reject(EINVAL, msg.reservedFieldsOf('BPF_JMP/JMP32'));
  if (isX) env.srcReg(insn.src);
  const dst = env.reg(insn.dst);
  const src = isX ? env.reg(insn.src) : (() => { const k = new RegState(); markRegConst(k, BigInt(insn.imm)); return k; })();
  const verdict = isBranchTaken(dst, src, op, jmp32);
  // A decided branch depends on the exact values compared.
  if (verdict >= 0) {
    if (dst.type === 'scalar') markChainPrecision(env, insn.dst);
    if (isX && src.type === 'scalar') markChainPrecision(env, insn.src);
  }
  if (verdict === 1) return { fallthrough: false, taken: env.state };
  if (verdict === 0) return { fallthrough: true, taken: undefined };
  // Scalars sharing an id go in the history before the branch is pushed: both sides share it.
  const linked: LinkedReg[] = [];
  if (isX && src.type === 'scalar' && src.id) collectLinkedRegs(env, env.state, src.id, linked);
  if (dst.type === 'scalar' && dst.id) collectLinkedRegs(env, env.state, dst.id, linked);
  if (linked.length > 1) pushInsnHistory(env, env.state, undefined, linked);
  const taken = env.state.clone();
  const tDst = taken.cur.reg(insn.dst);
  const tSrc = isX ? taken.cur.reg(insn.src) : src.clone();
  const fSrc = isX ? src : src.clone();
  const takenOk = regSetMinMax(taken, tDst, tSrc, op, jmp32, linked);
  const fallOk = regSetMinMax(env.state, dst, fSrc, revOpcode(op), jmp32, linked);
  // Null checks: `if (p == 0)` / `if (p != 0)` against a pointer that may be NULL.
  if (!jmp32 && (op === BPF_JEQ || op === BPF_JNE) && dst.maybeNull && dst.id && regIsNull(src)) {
    markPtrOrNull(taken, dst.id, op === BPF_JEQ);
    markPtrOrNull(env.state, dst.id, op !== BPF_JEQ);
  } else if (!jmp32 && isX) {
    matchPktPointers(op, insn.dst, insn.src, env.state, taken);
  }
  return { fallthrough: fallOk, taken: takenOk ? taken : undefined };
}

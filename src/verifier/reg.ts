/**
 * Register state: the kernel's struct bpf_reg_state. A register holds nothing (`not_init`), a
 * scalar (tnum + signed/unsigned 64 and 32-bit ranges) or a pointer of some kind with a fixed
 * offset `off` and a variable part tracked like a scalar.
 * Type names are the kernel's reg_type_str() spellings, so they print as-is in logs and messages.
 * Mirrors include/linux/bpf_verifier.h (v6.18).
 */
import type { VerifierMap } from './types.ts';
import { TNUM_UNKNOWN, tnumConst, tnumIsConst, type Tnum } from './tnum.ts';

/** Base register types (enum bpf_reg_type), named as reg_type_str() prints them. */
export type RegType =
  | 'not_init' | 'scalar' | 'ctx' | 'map_ptr' | 'map_value' | 'map_key' | 'fp' | 'pkt_meta' | 'pkt' | 'pkt_end'
  | 'mem' | 'func' | 'btf_id' | 'dynptr';

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U64_MAX = (1n << 64n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;
export const U32_MAX = (1n << 32n) - 1n;

export class RegState {
  type: RegType = 'not_init';
  /** PTR_MAYBE_NULL. */
  maybeNull = false;
  /** MEM_RDONLY (read-only memory). */
  rdonly = false;
  /** MEM_RINGBUF: memory reserved in a ring buffer. */
  ringbuf = false;
  /** Fixed part of a pointer's offset. */
  off = 0;
  varOff: Tnum = TNUM_UNKNOWN;
  smin = S64_MIN;
  smax = S64_MAX;
  umin = 0n;
  umax = U64_MAX;
  s32min = S32_MIN;
  s32max = S32_MAX;
  u32min = 0n;
  u32max = U32_MAX;
  /**
   * Links registers that hold the same value (null checks, packet ranges, scalar copies). A scalar
   * id with ADD_CONST added is `rX = rY; rX += off`: this register is the id's value plus `off`.
   */
  id = 0;
  /** Reference the register holds (ringbuf memory), 0 when none. */
  refObjId = 0;
  /** map_ptr, map_value, map_key: the map. */
  map: VerifierMap | undefined = undefined;
  /** pkt: bytes known to be in the packet from off 0 of this id; mem: the size of the memory. */
  range = 0;
  /** fp: the frame the stack pointer belongs to. */
  frameno = 0;
  /** func: the subprogram index. */
  subprog = 0;
  /** map_uid: which instance of an inner map (a map-in-map lookup's id), 0 for a plain map. */
  mapUid = 0;
  /** btf_id: the kernel type pointed to (`task_struct`), PTR_TRUSTED; dynptr: its kind (`local`). */
  btfName = '';
  trusted = false;
  /**
   * A scalar whose exact value some safety decision relied on (bpf_reg_state.precise): pruning
   * compares it by range; imprecise scalars match anything (precision.ts).
   */
  precise = false;

  clone(): RegState {
    const r = new RegState();
    r.copyFrom(this);
    return r;
  }

  copyFrom(o: RegState): void {
    this.type = o.type; this.maybeNull = o.maybeNull; this.rdonly = o.rdonly; this.ringbuf = o.ringbuf;
    this.off = o.off; this.varOff = o.varOff;
    this.smin = o.smin; this.smax = o.smax; this.umin = o.umin; this.umax = o.umax;
    this.s32min = o.s32min; this.s32max = o.s32max; this.u32min = o.u32min; this.u32max = o.u32max;
    this.id = o.id; this.refObjId = o.refObjId; this.map = o.map; this.range = o.range;
    this.frameno = o.frameno; this.subprog = o.subprog;
    this.mapUid = o.mapUid; this.btfName = o.btfName; this.trusted = o.trusted;
    this.precise = o.precise;
  }
}

export function isPointer(r: RegState): boolean {
  return r.type !== 'not_init' && r.type !== 'scalar';
}

export function isPktPointer(r: RegState): boolean {
  return r.type === 'pkt' || r.type === 'pkt_meta';
}

/**
 * reg_type_str(): `map_value_or_null`, `rdonly_mem`, `ringbuf_mem`, `trusted_ptr_`, `?` for
 * not_init. A btf_id pointer prints its type name after this (print_reg_state).
 */
export function regTypeStr(r: Pick<RegState, 'type' | 'maybeNull' | 'rdonly' | 'ringbuf' | 'trusted'>): string {
  if (r.type === 'not_init') return '?';
  let base: string = r.type;
  if (r.type === 'mem' && r.ringbuf) base = 'ringbuf_mem';
  if (r.type === 'btf_id') base = 'ptr_';
  if (r.type === 'dynptr') base = 'dynptr_ptr';
  const prefix = (r.rdonly ? 'rdonly_' : '') + (r.type === 'btf_id' && r.trusted ? 'trusted_' : '');
  return `${prefix}${base}${r.maybeNull ? '_or_null' : ''}`;
}

/** Sets every bound to "anything" (__mark_reg_unbounded). */
export function markRegUnbounded(r: RegState): void {
  markReg64Unbounded(r);
  markReg32Unbounded(r);
}

export function markReg64Unbounded(r: RegState): void {
  r.smin = S64_MIN; r.smax = S64_MAX; r.umin = 0n; r.umax = U64_MAX;
}

export function markReg32Unbounded(r: RegState): void {
  r.s32min = S32_MIN; r.s32max = S32_MAX; r.u32min = 0n; r.u32max = U32_MAX;
}

function resetPointerFields(r: RegState): void {
  r.maybeNull = false; r.rdonly = false; r.ringbuf = false; r.off = 0; r.id = 0; r.refObjId = 0;
  r.map = undefined; r.range = 0; r.frameno = 0; r.subprog = 0; r.mapUid = 0; r.btfName = ''; r.trusted = false;
  r.precise = false;
}

/**
 * BPF_ADD_CONST64 / BPF_ADD_CONST32: flags (bits 31 and 30 of the kernel's u32 id) on a scalar's
 * id saying the register is the linked value plus its `off`, computed by a 64-bit or a 32-bit
 * add (or sub) of a constant. Kept as numbers above every id, so ids still compare whole.
 */
export const ADD_CONST64 = 2 ** 31;
export const ADD_CONST32 = 2 ** 30;
/** The id without its ADD_CONST flag: what links registers. */
export const linkId = (id: number): number => id % ADD_CONST32;
/** The id's ADD_CONST flag: 0, ADD_CONST32 or ADD_CONST64. */
export const addConstFlag = (id: number): number => id - linkId(id);
export const hasAddConst = (id: number): boolean => id >= ADD_CONST32;

/** clear_scalar_id(): unlinked, with no delta. */
export function clearScalarId(r: RegState): void {
  r.id = 0;
  r.off = 0;
}

/**
 * assign_scalar_id_before_mov(): a scalar about to be copied gets an id (unless it is a known
 * constant) so the copies stay linked; one linked with a delta is unlinked first, deltas do not add up.
 */
export function assignScalarIdBeforeMov(env: { newId(): number }, src: RegState): void {
  if (src.type !== 'scalar') return;
  if (hasAddConst(src.id)) clearScalarId(src);
  if (src.id === 0 && !tnumIsConst(src.varOff)) src.id = env.newId();
}

/** A scalar about which nothing is known (__mark_reg_unknown). */
export function markRegUnknown(r: RegState): void {
  resetPointerFields(r);
  r.type = 'scalar';
  r.varOff = TNUM_UNKNOWN;
  markRegUnbounded(r);
}

/** The register holds exactly `imm` (__mark_reg_known), keeping its type. */
export function markRegKnown(r: RegState, imm: bigint): void {
  const v = BigInt.asUintN(64, imm);
  r.varOff = tnumConst(v);
  r.smin = r.smax = BigInt.asIntN(64, v);
  r.umin = r.umax = v;
  r.s32min = r.s32max = BigInt.asIntN(32, v);
  r.u32min = r.u32max = BigInt.asUintN(32, v);
}

/** A scalar constant. */
export function markRegConst(r: RegState, imm: bigint): void {
  resetPointerFields(r);
  r.type = 'scalar';
  markRegKnown(r, imm);
}

/** A pointer of the given type at offset 0 with no variable part (mark_reg_known_zero + type). */
export function markRegPointer(r: RegState, type: RegType): void {
  resetPointerFields(r);
  r.type = type;
  markRegKnown(r, 0n);
}

export function markRegNotInit(r: RegState): void {
  resetPointerFields(r);
  r.type = 'not_init';
  r.varOff = TNUM_UNKNOWN;
  markRegUnbounded(r);
}

export function regIsConst(r: RegState): boolean {
  return r.type === 'scalar' && r.varOff.mask === 0n;
}

/** The constant a scalar register holds (as u64). */
export function regConst(r: RegState): bigint {
  return r.varOff.value;
}

export function regIsNull(r: RegState): boolean {
  return r.type === 'scalar' && r.varOff.mask === 0n && r.varOff.value === 0n;
}

/**
 * Loads, stores and helper memory arguments: check_mem_access(), check_mem_region_access(),
 * check_stack_{read,write}_fixed_off(), check_packet_access(), check_ctx_access() and
 * check_helper_mem_access(), kernel/bpf/verifier.c (v6.18), with the privileged (root) rules:
 * uninitialised stack may be read, pointers may be stored anywhere.
 */
import { EACCES, EFAULT, EINVAL } from '../uapi/errno.ts';
import { BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG } from '../uapi/bpf.ts';
import { coerceRegToSize, coerceRegToSizeSx } from './bounds.ts';
import { ctxAccess, mayWritePacket } from './ctx-access.ts';
import type { Env } from './env.ts';
import { scratchSlot } from './log.ts';
import * as msg from './messages.ts';
import { pushInsnHistory } from './backtrack.ts';
import { markChainPrecision, markSlotPrecision } from './precision.ts';
import { RegState, assignScalarIdBeforeMov, markRegConst, markRegPointer, markRegUnknown, regTypeStr } from './reg.ts';
import { STACK_INVALID, STACK_MISC, STACK_SPILL, STACK_ZERO, type FuncState, type SlotType } from './state.ts';
import { tnumAdd, tnumConst, tnumIsAligned, tnumIsConst, tnumStr } from './tnum.ts';

const BPF_MAX_VAR_OFF = 1n << 29n;
export type AccessType = 'read' | 'write';

/** __check_mem_access(): one bound of an access against the region size. */
function checkMemBound(env: Env, regno: number, reg: RegState, off: bigint, size: number, memSize: number, zeroOk: boolean): boolean {
  const sizeOk = size > 0 || (size === 0 && zeroOk);
  if (off >= 0n && sizeOk && off + BigInt(size) <= BigInt(memSize)) return true;
  let m: string;
  switch (reg.type) {
    case 'map_key': m = msg.invalidMapKeyAccess(memSize, off, size); break;
    case 'map_value': m = msg.invalidMapValueAccess(memSize, off, size); break;
    case 'pkt': case 'pkt_meta': case 'pkt_end': m = msg.invalidPacketAccess(off, size, regno, reg.id, memSize); break;
    default: m = msg.invalidMemoryAccess(memSize, off, size);
  }
  env.log.print(m);
  return false;
}

/** check_mem_region_access(): the access at every offset the register may hold stays inside. */
export function checkMemRegionAccess(env: Env, regno: number, reg: RegState, off: number, size: number, memSize: number, zeroOk: boolean): void {
  const o = BigInt(off);
  if (reg.smin < 0n && (reg.smin + o < -(1n << 31n) || reg.smin + o < 0n)) env.reject(EACCES, msg.minValueNegative(regno));
  if (!checkMemBound(env, regno, reg, reg.smin + o, size, memSize, zeroOk)) env.reject(EACCES, msg.minValueOutside(regno));
  if (reg.umax >= BPF_MAX_VAR_OFF) env.reject(EACCES, msg.unboundedMemAccess(regno));
  if (!checkMemBound(env, regno, reg, reg.umax + o, size, memSize, zeroOk)) env.reject(EACCES, msg.maxValueOutside(regno));
}

function checkMapAccess(env: Env, regno: number, reg: RegState, off: number, size: number, zeroOk: boolean): void {
  const map = reg.map;
  if (!map) return env.reject(EACCES, msg.invalidMapPtrValue());
  checkMemRegionAccess(env, regno, reg, off, size, map.valueSize, zeroOk);
  // Special fields (bpf_spin_lock, bpf_timer) cannot be touched by loads and stores.
  for (const f of map.record?.fields ?? []) {
    if (f.kind !== 'spin_lock' && f.kind !== 'timer') continue;
    const lo = BigInt(off) + reg.smin, hi = BigInt(off) + reg.umax + BigInt(size);
    if (lo < BigInt(f.offset + f.size) && hi > BigInt(f.offset)) {
      env.reject(EACCES, msg.specialFieldAccess(f.kind === 'timer' ? 'bpf_timer' : 'bpf_spin_lock'));
    }
  }
}

/**
 * check_packet_access(): only the fixed offset is checked against the range, because the range
 * find_good_pkt_pointers() proved already counts from the pointer with its variable part (the
 * registers sharing its id).
 */
function checkPacketAccess(env: Env, regno: number, reg: RegState, off: number, size: number, zeroOk: boolean): void {
  if (reg.smin < 0n) env.reject(EACCES, msg.minValueNegative(regno));
  if (reg.range < 0 || !checkMemBound(env, regno, reg, BigInt(off), size, reg.range, zeroOk)) {
    env.reject(EACCES, msg.offsetOutsidePacket(regno));
  }
}

/** The frame a stack pointer points into. */
function stackFrame(env: Env, reg: RegState): FuncState {
  return env.state.frames[reg.frameno] as FuncState;
}

/** check_stack_access_within_bounds(): [min_off, max_off) inside the 512-byte frame. */
function stackBounds(env: Env, regno: number, reg: RegState, off: number, size: number, t: AccessType): [number, number] {
  // 6.18 names helper accesses by their direction too (the older ' indirect access to' is gone).
  const extra = t === 'read' ? ' read from' : ' write to';
  let minOff: number, maxOff: number;
  if (tnumIsConst(reg.varOff)) {
    minOff = Number(BigInt.asIntN(64, reg.varOff.value)) + off;
    maxOff = minOff + size;
  } else {
    if (reg.smax >= BPF_MAX_VAR_OFF || reg.smin <= -BPF_MAX_VAR_OFF) env.reject(EACCES, msg.unboundedVarStack(extra, regno));
    minOff = Number(reg.smin) + off;
    maxOff = Number(reg.smax) + off + size;
  }
  // check_stack_slot_within_bounds(): outside the frame is EACCES; reaching past fp is EINVAL.
  const errno = minOff < -512 || minOff > -1 ? EACCES : maxOff > 0 ? EINVAL : size < 0 ? EFAULT : 0;
  if (errno !== 0) {
    if (tnumIsConst(reg.varOff)) env.reject(errno, msg.invalidStackAccess(extra, regno, off, size));
    env.reject(errno, msg.invalidVarStackAccess(extra, regno, tnumStr(reg.varOff), off, size));
  }
  env.touchStack(-minOff);
  // grow_stack_state(): reads allocate the frame's stack as writes do (allocated_stack, which
  // pruning compares over).
  if (minOff < 0) stackFrame(env, reg).slot(Math.ceil(-minOff / 8) - 1);
  return [minOff, maxOff];
}

/**
 * A plain write of `type` bytes over [minOff, maxOff): a spilled register there is scrubbed (its
 * other initialised bytes become STACK_MISC, scrub_spilled_slot()).
 */
function markSlots(env: Env, f: FuncState, minOff: number, maxOff: number, type: SlotType): void {
  for (let o = minOff; o < maxOff; o++) {
    const slot = -o - 1;
    const s = f.slot(Math.floor(slot / 8));
    if (s.isSpilled()) { for (let i = 0; i < 8; i++) if (s.slotType[i] !== STACK_INVALID) s.slotType[i] = STACK_MISC; }
    s.spilled.type = 'not_init';
    s.slotType[slot % 8] = type;
    scratchSlot(env.scratch, Math.floor(slot / 8));
  }
}

/**
 * check_stack_write_fixed_off(): `valueRegno` the stored register, or -1 with `imm` the stored
 * constant of a BPF_ST (undefined for the write half of an atomic op). Spills are recorded in
 * the instruction history for precision backtracking.
 */
function stackWriteFixed(env: Env, f: FuncState, off: number, size: number, valueRegno: number, imm: number | undefined): void {
  const slot = -off - 1;
  const spi = Math.floor(slot / 8);
  const s = f.slot(spi);
  const src = valueRegno >= 0 ? env.reg(valueRegno) : undefined;
  const value = src?.clone();
  scratchSlot(env.scratch, spi);
  const spilled = (): void => pushInsnHistory(env, env.state, { frame: f.frameno, spi });
  // Only a whole aligned slot counts as written for stack liveness.
  if (off % 8 === 0 && size === 8) env.stackLive.markWrite(f.frameno, spi);
  const save = (reg: RegState): void => {
    s.spilled.copyFrom(reg);
    for (let i = 8; i > 8 - size; i--) s.slotType[i - 1] = STACK_SPILL;
    // mark_stack_slot_misc(): zero bytes stay zero, uninitialised ones stay so (root).
    for (let i = 8 - size; i > 0; i--) {
      const t = s.slotType[i - 1];
      if (t !== STACK_ZERO && t !== STACK_INVALID) s.slotType[i - 1] = STACK_MISC;
    }
  };
  if (value && off % 8 === 0 && value.type === 'scalar') {
    // assign_scalar_id_before_mov(): a value that fits links the register and its spill.
    const fits = size === 8 || value.umax < 1n << BigInt(size * 8);
    if (fits && src) assignScalarIdBeforeMov(env, src);
    const copy = (fits && src ? src : value).clone();
    if (!fits) copy.id = 0;
    save(copy);
    spilled();
  } else if (!value && imm !== undefined && off % 8 === 0) {
    const fake = new RegState();
    markRegConst(fake, BigInt(imm));
    save(fake);
    spilled();
  } else if (value && value.type !== 'scalar') {
    if (size !== 8) env.reject(EACCES, msg.invalidSpillSize());
    if (f !== env.state.cur && value.type === 'fp') env.reject(EINVAL, msg.spillFpIntoCaller());
    save(value.clone());
    spilled();
  } else {
    const zero = value ? value.type === 'scalar' && tnumIsConst(value.varOff) && value.varOff.value === 0n : imm === 0;
    // STACK_ZERO bytes are only right while the stored register stays exactly 0.
    if (zero && valueRegno >= 0) markChainPrecision(env, valueRegno);
    markSlots(env, f, off, off + size, zero ? STACK_ZERO : STACK_MISC);
  }
}

/** check_stack_read_fixed_off(), root rules (uninitialised bytes read as unknown). */
function stackReadFixed(env: Env, f: FuncState, off: number, size: number, dst: RegState | undefined): void {
  const slot = -off - 1;
  const spi = Math.floor(slot / 8);
  scratchSlot(env.scratch, spi);
  env.stackLive.markRead(env.state, f.frameno, env.insnIdx, spi);
  const s = f.peekSlot(spi);
  // A fill restores a spilled register: the history records it for precision backtracking.
  const filled = (): void => pushInsnHistory(env, env.state, { frame: f.frameno, spi });
  if (!s) { if (dst) markRegUnknown(dst); return; }
  if (s.isSpilled()) {
    let spillSize = 1;
    for (let i = 7; i > 0 && s.slotType[i - 1] === STACK_SPILL; i--) spillSize++;
    if (size === 8 && spillSize === 8) { if (dst) dst.copyFrom(s.spilled); filled(); return; }
    if (s.spilled.type !== 'scalar') env.reject(EACCES, msg.invalidFillSize());
    if (!dst) return;
    // A narrow fill of the low bytes of a spilled scalar keeps its value (little endian).
    if (size <= spillSize && (off % 8 === 0 || off % 8 === -8) && off === -(spi * 8 + 8)) {
      dst.copyFrom(s.spilled);
      if (size < 8 && dst.umax >= 1n << BigInt(size * 8)) dst.id = 0;
      filled();
      return;
    }
    let spills = 0;
    for (let i = 0; i < size; i++) if (s.slotType[(slot - i) % 8] === STACK_SPILL) spills++;
    if (spills === size && tnumIsConst(s.spilled.varOff) && s.spilled.varOff.value === 0n) { markRegConst(dst, 0n); filled(); return; }
  }
  if (!dst) return;
  let zeros = 0;
  for (let i = 0; i < size; i++) if (s.slotType[(slot - i) % 8] === STACK_ZERO) zeros++;
  if (zeros === size) markRegConst(dst, 0n);
  else markRegUnknown(dst);
}

/** check_mem_access(). `valueRegno` is the loaded/stored register (-1 when none). */
export function checkMemAccess(env: Env, regno: number, off: number, size: number, t: AccessType, valueRegno: number, opts: { imm?: number; signExtend?: boolean } = {}): void {
  const reg = env.reg(regno);
  const dst = t === 'read' && valueRegno >= 0 ? env.reg(valueRegno) : undefined;
  // Stack accesses must be aligned (the spill tracking relies on it).
  if (reg.type === 'fp' && size > 1) {
    const at = tnumAdd(reg.varOff, tnumConst(BigInt(reg.off + off)));
    if (!tnumIsAligned(at, size)) env.reject(EACCES, msg.misalignedAccess('stack ', tnumStr(reg.varOff), reg.off, off, size));
  }
  const total = off + reg.off;
  switch (reg.maybeNull ? 'null' : reg.type) {
    case 'map_key':
      if (t === 'write') env.reject(EACCES, msg.writeToMapKey(regno));
      checkMemRegionAccess(env, regno, reg, total, size, reg.map?.keySize ?? 0, false);
      if (dst) markRegUnknown(dst);
      break;
    case 'map_value': {
      checkMapAccessType(env, reg, total, size, t);
      checkMapAccess(env, regno, reg, total, size, false);
      if (dst) readMapValue(reg, total, size, dst, opts.signExtend === true);
      break;
    }
    case 'mem':
      if (t === 'write' && reg.rdonly) env.reject(EACCES, msg.cannotWriteInto(regno, regTypeStr(reg)));
      checkMemRegionAccess(env, regno, reg, total, size, reg.range, false);
      if (dst) markRegUnknown(dst);
      break;
    case 'ctx': {
      checkPtrOffReg(env, reg, regno, false);
      const access = ctxAccess(env.prog.progType, off, size, t === 'write', env.prog.ctxSizeHint);
      if (!access) env.reject(EACCES, msg.invalidCtxAccess(off, size));
      env.facts.set(env.insnIdx, { kind: 'ctx', off, size, write: t === 'write' });
      if (dst) {
        if (access.regType === 'scalar') markRegUnknown(dst);
        else { markRegPointer(dst, access.regType); dst.id = 0; }
      }
      break;
    }
    case 'fp': {
      const [minOff, maxOff] = stackBounds(env, regno, reg, total, size, t);
      const f = stackFrame(env, reg);
      if (tnumIsConst(reg.varOff)) {
        if (t === 'write') stackWriteFixed(env, f, minOff, size, valueRegno, opts.imm);
        else stackReadFixed(env, f, minOff, size, dst);
      } else if (t === 'write') {
        markSlots(env, f, minOff, maxOff, STACK_MISC);
      } else {
        markStackRangeRead(env, f, minOff, maxOff);
        if (dst) markRegUnknown(dst);
      }
      break;
    }
    case 'pkt': case 'pkt_meta':
      if (t === 'write' && !mayWritePacket(env.prog.progType)) env.reject(EACCES, msg.cannotWritePacket());
      checkPacketAccess(env, regno, reg, total, size, false);
      if (dst) markRegUnknown(dst);
      break;
    default:
      env.reject(EACCES, msg.invalidMemAccess(regno, regTypeStr(reg)));
  }
  if (dst && dst.type === 'scalar' && size < 8) {
    if (opts.signExtend) coerceRegToSizeSx(dst, size);
    else coerceRegToSize(dst, size);
  }
}

/**
 * check_stack_range_initialized()'s read marks: every slot with a byte in [minOff, maxOff) may
 * be read by this instruction (stack-liveness.ts).
 */
function markStackRangeRead(env: Env, f: FuncState, minOff: number, maxOff: number): void {
  let last = -1;
  for (let o = minOff; o < maxOff; o++) {
    const spi = Math.floor((-o - 1) / 8);
    if (spi !== last) env.stackLive.markRead(env.state, f.frameno, env.insnIdx, spi);
    last = spi;
  }
}

/**
 * check_helper_mem_access(): a helper reads or writes `size` bytes (umax of the size register) at
 * reg. `raw`: the helper only fills that memory (MEM_UNINIT, the kernel's raw_mode), so nothing
 * there is read.
 */
export function checkHelperMemAccess(env: Env, regno: number, size: number, t: AccessType, zeroOk: boolean, raw = false): void {
  const reg = env.reg(regno);
  switch (reg.type) {
    case 'pkt': case 'pkt_meta': return checkPacketAccess(env, regno, reg, reg.off, size, zeroOk);
    case 'map_key':
      if (t === 'write') env.reject(EACCES, msg.cannotWriteInto(regno, regTypeStr(reg)));
      return checkMemRegionAccess(env, regno, reg, reg.off, size, reg.map?.keySize ?? 0, false);
    case 'map_value':
      checkMapAccessType(env, reg, reg.off, size, t);
      return checkMapAccess(env, regno, reg, reg.off, size, zeroOk);
    case 'mem':
      if (reg.rdonly && t === 'write') env.reject(EACCES, msg.cannotWriteInto(regno, regTypeStr(reg)));
      return checkMemRegionAccess(env, regno, reg, reg.off, size, reg.range, zeroOk);
    case 'fp': {
      if (size === 0 && zeroOk) return;
      const [minOff, maxOff] = stackBounds(env, regno, reg, reg.off, size, t);
      const f = stackFrame(env, reg);
      if (!raw) markStackRangeRead(env, f, minOff, maxOff);
      // The helper may write anything: spilled registers there become unknown bytes.
      if (t === 'write') markSlots(env, f, minOff, maxOff, STACK_MISC);
      return;
    }
    default:
      if (zeroOk && size === 0 && reg.type === 'scalar' && tnumIsConst(reg.varOff) && reg.varOff.value === 0n) return;
      env.reject(EACCES, msg.regTypeExpected(regno, regTypeStr(reg), ['fp']));
  }
}

/** check_map_access_type(): BPF_F_RDONLY_PROG maps refuse writes, BPF_F_WRONLY_PROG maps reads. */
function checkMapAccessType(env: Env, reg: RegState, off: number, size: number, t: AccessType): void {
  const map = reg.map;
  if (!map) return;
  if (t === 'write' && (map.flags & BPF_F_RDONLY_PROG) !== 0) {
    env.reject(EACCES, msg.writeIntoMapForbidden(map.valueSize, BigInt(off), size));
  }
  if (t === 'read' && (map.flags & BPF_F_WRONLY_PROG) !== 0) {
    env.reject(EACCES, msg.readFromMapForbidden(map.valueSize, BigInt(off), size));
  }
}

/**
 * A load from a map value. A frozen read-only map (.rodata) yields the constant stored there
 * (bpf_map_direct_read()); anything else an unknown scalar.
 */
function readMapValue(reg: RegState, off: number, size: number, dst: RegState, signExtend: boolean): void {
  const map = reg.map;
  const data = map?.frozenValue;
  if (!map || !data || (map.flags & BPF_F_RDONLY_PROG) === 0 || !tnumIsConst(reg.varOff)) { markRegUnknown(dst); return; }
  const at = off + Number(reg.varOff.value);
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[at + i] ?? 0);
  markRegConst(dst, signExtend ? BigInt.asIntN(size * 8, v) : v);
}

/**
 * __check_ptr_off_reg(): a context (and most pointers handed to helpers) must be used as it
 * was given: no negative offset, a fixed offset only when `fixedOffOk`, no variable part.
 */
export function checkPtrOffReg(env: Env, reg: RegState, regno: number, fixedOffOk: boolean): void {
  const t = regTypeStr(reg);
  if (reg.off < 0) env.reject(EACCES, msg.negativeOffPtr(t, regno, reg.off));
  if (!fixedOffOk && reg.off) env.reject(EACCES, msg.modifiedPtrArg(t, regno, reg.off));
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) env.reject(EACCES, msg.variableCtxAccess(t, tnumStr(reg.varOff)));
}

/**
 * get_constant_map_key(): the key a stack pointer points to when it is known, for arrays whose
 * lookups with a constant in-range key cannot fail. -1 when not known.
 */
export function constantMapKey(env: Env, key: RegState, keySize: number): bigint {
  if (key.type !== 'fp' || !tnumIsConst(key.varOff)) return -1n;
  const stackOff = key.off + Number(BigInt.asIntN(64, key.varOff.value));
  const slot = -stackOff - 1;
  const spi = Math.floor(slot / 8);
  const off = slot % 8;
  const s = stackFrame(env, key).peekSlot(spi);
  if (!s) return -1n;
  let zeroSize = 0;
  for (let i = off; i >= 0 && s.slotType[i] === STACK_ZERO; i--) zeroSize++;
  if (zeroSize >= keySize) return 0n;
  if (!s.isSpilled() || s.spilled.type !== 'scalar') return -1n;
  let spillSize = 0;
  for (let i = off; i >= 0 && s.slotType[i] === STACK_SPILL; i--) spillSize++;
  if (spillSize !== keySize || !tnumIsConst(s.spilled.varOff)) return -1n;
  // The lookup relies on the key's exact value.
  markSlotPrecision(env, stackFrame(env, key).frameno, spi);
  return s.spilled.varOff.value;
}

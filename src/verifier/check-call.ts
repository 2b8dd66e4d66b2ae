/**
 * Calls: helper calls checked against their prototypes (check_helper_call(), check_func_arg()),
 * bpf-to-bpf calls (check_func_call(), a new frame with R1-R5 passed and R6-R9 kept by the
 * caller), sync callbacks (bpf_loop, bpf_for_each_map_elem) verified in the caller's context, and
 * returns (prepare_func_exit()). kernel/bpf/verifier.c (v6.18).
 */
import { helperProto, MAP_ONLY_HELPERS, type ArgProto, type HelperProto } from '../helpers/protos.ts';
import { MAX_CALL_FRAMES, type Insn } from '../isa/index.ts';
import { BPF_F_RDONLY_PROG } from '../uapi/bpf.ts';
import { E2BIG, EACCES, EINVAL } from '../uapi/errno.ts';
import { BPF_FUNC_for_each_map_elem, BPF_FUNC_loop, BPF_FUNC_spin_lock, BPF_FUNC_spin_unlock, BPF_FUNC_timer_init, BPF_FUNC_timer_set_callback, helperName } from '../uapi/helpers.ts';
import { checkHelperMemAccess } from './check-mem.ts';
import type { Env } from './env.ts';
import * as msg from './messages.ts';
import { RegState, markRegNotInit, markRegPointer, markRegUnknown, regIsNull, regTypeStr } from './reg.ts';
import { FuncState } from './state.ts';
import { tnumIsConst, tnumStr } from './tnum.ts';

const EXPECTED: Record<string, readonly string[]> = {
  ARG_CONST_MAP_PTR: ['map_ptr'],
  ARG_PTR_TO_MAP_KEY: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value'],
  ARG_PTR_TO_MAP_VALUE: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value'],
  ARG_PTR_TO_MEM: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'],
  ARG_CONST_SIZE: ['scalar'], ARG_CONST_SIZE_OR_ZERO: ['scalar'], ARG_CONST_ALLOC_SIZE_OR_ZERO: ['scalar'],
  ARG_PTR_TO_CTX: ['ctx'], ARG_PTR_TO_FUNC: ['func'], ARG_PTR_TO_STACK: ['fp'], ARG_PTR_TO_TIMER: ['map_value'],
  ARG_PTR_TO_SPIN_LOCK: ['map_value', 'ptr_'], ARG_PTR_TO_RINGBUF_MEM: ['ringbuf_mem'], ARG_PTR_TO_CONST_STR: ['map_value'],
};

/** Does the register's type satisfy the argument (check_reg_type / compatible_reg_types)? */
function regTypeOk(reg: RegState, arg: ArgProto): boolean {
  if (reg.maybeNull && !arg.maybeNull) return false;
  if (reg.rdonly && !arg.rdonly) return false;
  const t = reg.type === 'mem' && reg.ringbuf ? 'ringbuf_mem' : reg.type;
  return (EXPECTED[arg.kind] ?? []).includes(t);
}

interface CallMeta {
  map?: RegState['map'];
  mapRegValueId?: number;
  memSize?: number;
  callbackSubprog?: number;
  releaseRef?: number;
}

function checkFuncArg(env: Env, proto: HelperProto, argNo: number, meta: CallMeta): void {
  const arg = proto.args[argNo] as ArgProto;
  const regno = argNo + 1;
  const reg = env.srcReg(regno);
  if (arg.kind === 'ARG_ANYTHING') return;
  const sizeArg = arg.kind === 'ARG_CONST_SIZE' || arg.kind === 'ARG_CONST_SIZE_OR_ZERO';
  if (!(arg.maybeNull && regIsNull(reg))) {
    if (!regTypeOk(reg, arg)) {
      env.reject(EACCES, msg.regTypeExpected(regno, regTypeStr(reg), EXPECTED[arg.kind] ?? []));
    }
    if (reg.type === 'ctx' && (reg.off !== 0 || !tnumIsConst(reg.varOff) || reg.varOff.value !== 0n)) {
      if (reg.off !== 0) env.reject(EACCES, msg.modifiedPtrArg('ctx', regno, reg.off));
      env.reject(EACCES, msg.variableCtxAccess('ctx', tnumStr(reg.varOff)));
    }
  }
  if (arg.release) {
    if (!reg.refObjId) env.reject(EACCES, msg.releaseExpected(regno));
    if (reg.off !== 0) env.reject(EACCES, msg.releaseZeroOffset(regno));
    meta.releaseRef = reg.refObjId;
  }
  switch (arg.kind) {
    case 'ARG_CONST_MAP_PTR': meta.map = reg.map; break;
    case 'ARG_PTR_TO_MAP_KEY':
      if (!meta.map) env.reject(EACCES, msg.invalidMapPtrKey());
      checkHelperMemAccess(env, regno, meta.map.keySize, 'read', false);
      break;
    case 'ARG_PTR_TO_MAP_VALUE':
      if (!meta.map) env.reject(EACCES, msg.invalidMapPtrValue());
      checkHelperMemAccess(env, regno, meta.map.valueSize, arg.uninit ? 'write' : 'read', false);
      break;
    case 'ARG_PTR_TO_FUNC': meta.callbackSubprog = reg.subprog; break;
    case 'ARG_CONST_ALLOC_SIZE_OR_ZERO':
      if (!tnumIsConst(reg.varOff)) env.reject(EACCES, msg.notKnownConstant(regno));
      meta.memSize = Number(reg.varOff.value);
      break;
    case 'ARG_PTR_TO_CONST_STR':
      if (!reg.map || (reg.map.flags & BPF_F_RDONLY_PROG) === 0) env.reject(EACCES, `R${regno} does not point to a readonly map'`);
      break;
    default:
      if (sizeArg) {
        const zeroOk = arg.kind === 'ARG_CONST_SIZE_OR_ZERO';
        if (reg.smin < 0n) env.reject(EACCES, msg.sizeNegative(regno));
        if (reg.umin === 0n && !zeroOk) env.reject(EACCES, msg.zeroSizedRead(regno, reg.umin, reg.umax));
        if (reg.umax >= 1n << 29n) env.reject(EACCES, msg.unboundedSize(regno));
        const memArg = proto.args[argNo - 1] as ArgProto;
        const memReg = env.reg(regno - 1);
        if (!(memArg.maybeNull && regIsNull(memReg))) {
          checkHelperMemAccess(env, regno - 1, Number(reg.umax), memArg.rdonly ? 'read' : 'write', zeroOk);
        }
      }
  }
}

/** Map types the helper refuses, and helpers the map type refuses (check_map_func_compatibility). */
function checkMapFuncCompat(env: Env, proto: HelperProto, meta: CallMeta): void {
  const map = meta.map;
  const name = `bpf_${helperName(proto.id) ?? ''}`;
  if (!map) return;
  const onlyFor = MAP_ONLY_HELPERS.get(map.type);
  if ((onlyFor && !onlyFor.has(proto.id)) || (proto.mapTypes && !proto.mapTypes.has(map.type))) {
    env.reject(EINVAL, msg.cannotPassMapType(map.type, name, proto.id));
  }
}

/** check_helper_call(). Returns the callback subprogram to verify now (sync callbacks). */
export function checkHelperCall(env: Env, insn: Insn): { callback?: number } {
  const id = insn.imm;
  const name = `bpf_${helperName(id) ?? 'unspec'}`;
  const proto = helperProto(id);
  if (!proto) {
    if (helperName(id) === undefined || id <= 0) env.reject(EINVAL, msg.invalidFunc(name, id));
    env.reject(EINVAL, msg.helperNotAllowed(name, id));
  }
  if (!proto.progTypes.has(env.prog.progType)) env.reject(EINVAL, msg.helperNotAllowed(name, id));
  if (proto.gplOnly && !isGplCompatible(env.prog.license)) env.reject(EINVAL, msg.gplOnly());
  if (env.state.activeLockId && id !== BPF_FUNC_spin_unlock) env.reject(EINVAL, msg.helperInLock(name, id));
  const meta: CallMeta = {};
  proto.args.forEach((_, i) => checkFuncArg(env, proto, i, meta));
  checkMapFuncCompat(env, proto, meta);
  if (id === BPF_FUNC_spin_lock || id === BPF_FUNC_spin_unlock) processSpinLock(env, id === BPF_FUNC_spin_lock);
  if (id === BPF_FUNC_timer_init || id === BPF_FUNC_timer_set_callback) processTimer(env);
  if (meta.releaseRef) {
    const ref = meta.releaseRef;
    env.state.refs = env.state.refs.filter((r) => r.id !== ref);
    for (const r of env.state.allRegs()) if (r.refObjId === ref) markRegUnknown(r);
  }
  for (let r = 1; r <= 5; r++) { markRegNotInit(env.reg(r)); env.scratch.regs |= 1 << r; }
  const r0 = env.dstReg(0);
  switch (proto.ret) {
    case 'RET_INTEGER': markRegUnknown(r0); break;
    case 'RET_VOID': markRegNotInit(r0); break;
    case 'RET_PTR_TO_MAP_VALUE_OR_NULL':
      markRegPointer(r0, 'map_value');
      r0.map = meta.map; r0.maybeNull = true; r0.id = env.newId();
      break;
    case 'RET_PTR_TO_RINGBUF_MEM_OR_NULL': {
      markRegPointer(r0, 'mem');
      r0.ringbuf = true; r0.maybeNull = true; r0.range = meta.memSize ?? 0; r0.id = env.newId();
      r0.refObjId = r0.id;
      env.state.refs.push({ id: r0.id, insnIdx: insn.idx });
      break;
    }
    default: break;
  }
  const fact = proto.callback && meta.callbackSubprog !== undefined
    ? { kind: 'helper' as const, helperId: id, callbackSubprog: meta.callbackSubprog, asyncCallback: proto.callback === 'async' }
    : { kind: 'helper' as const, helperId: id };
  env.facts.set(insn.idx, fact);
  if (proto.callback === 'sync' && meta.callbackSubprog !== undefined) return { callback: meta.callbackSubprog };
  return {};
}

function isGplCompatible(license: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(license);
}

/** process_spin_lock(): the lock must be the map value's bpf_spin_lock, one at a time. */
function processSpinLock(env: Env, lock: boolean): void {
  const reg = env.reg(1);
  if (!tnumIsConst(reg.varOff)) env.reject(EINVAL, msg.lockNeedsConstOff(1));
  const map = reg.map;
  const lockOff = map?.record?.spinLockOff ?? -1;
  if (!map || lockOff < 0) env.reject(EINVAL, msg.lockNoSpinLock(map?.name ?? ''));
  const off = Number(reg.varOff.value) + reg.off;
  if (off !== lockOff) env.reject(EINVAL, msg.lockOffMismatch(off));
  if (lock) {
    if (env.state.activeLockId) env.reject(EINVAL, msg.lockTwice());
    env.state.activeLockId = reg.id || -1;
    env.state.activeLockMap = map;
  } else {
    if (!env.state.activeLockId) env.reject(EINVAL, msg.unlockWithoutLock());
    if (env.state.activeLockMap !== map || (reg.id || -1) !== env.state.activeLockId) env.reject(EINVAL, msg.unlockMismatch());
    env.state.activeLockId = 0;
    env.state.activeLockMap = undefined;
  }
}

/** process_timer_func(): R1 points exactly at the value's bpf_timer (bpf-timer.md §6). */
function processTimer(env: Env): void {
  const reg = env.reg(1);
  const map = reg.map;
  if (!tnumIsConst(reg.varOff)) env.reject(EINVAL, msg.timerNeedsConstOff(1));
  if (!map || !map.hasBtf) env.reject(EINVAL, msg.noBtfForTimer(map?.name ?? ''));
  const timerOff = map.record?.timerOff ?? -1;
  if (timerOff < 0) env.reject(EINVAL, msg.mapHasNoTimer(map.name));
  const off = Number(reg.varOff.value) + reg.off;
  if (off !== timerOff) env.reject(EINVAL, msg.timerOffMismatch(off, timerOff));
}

/** check_func_call(): push the callee's frame; R1-R5 are copied, the rest not_init. */
export function pushCallFrame(env: Env, callsite: number, target: number, kind: 'none' | 'sync'): void {
  const st = env.state;
  if (st.frames.length >= MAX_CALL_FRAMES) env.reject(E2BIG, msg.callStackTooDeep(st.frames.length + 1));
  const subprog = env.cfg.subprogOf[target] as number;
  const callee = FuncState.init(st.frames.length, callsite, subprog);
  const caller = st.cur;
  for (let r = 1; r <= 5; r++) (callee.regs[r] as RegState).copyFrom(caller.reg(r));
  if (kind === 'sync') {
    callee.callback = 'sync';
    callee.callbackRet = [0n, 1n];
    callee.callbackResume = callsite + 1;
    setCallbackArgs(env, insnAt(env, callsite), caller, callee);
  } else {
    for (let r = 1; r <= 5; r++) markRegNotInit(caller.reg(r));
  }
  st.frames.push(callee);
  const depth = st.frames.reduce((n, f) => n + roundStack(env.stackDepth[f.subprog] ?? 0), 0);
  if (depth > 512) env.reject(EACCES, msg.combinedStackTooLarge(st.frames.length, depth));
}

function insnAt(env: Env, slot: number): Insn {
  return env.insnAt(slot) as Insn;
}

/** The callback's arguments: bpf_loop (index, ctx), for_each_map_elem (map, key, value, ctx). */
function setCallbackArgs(env: Env, call: Insn, caller: FuncState, callee: FuncState): void {
  for (let r = 1; r <= 5; r++) markRegNotInit(callee.reg(r));
  const ctx = caller.reg(3).clone();
  if (call.imm === BPF_FUNC_loop) {
    markRegUnknown(callee.reg(1));
    callee.reg(2).copyFrom(ctx);
  } else if (call.imm === BPF_FUNC_for_each_map_elem) {
    const map = caller.reg(1).map;
    callee.reg(1).copyFrom(caller.reg(1));
    markRegPointer(callee.reg(2), 'map_key'); callee.reg(2).map = map;
    markRegPointer(callee.reg(3), 'map_value'); callee.reg(3).map = map;
    callee.reg(4).copyFrom(ctx);
  }
  void env;
}

const roundStack = (d: number): number => Math.ceil(Math.max(d, 1) / 32) * 32;

/** prepare_func_exit(): pop the frame, R0 to the caller, R1-R5 of the caller not_init. */
export function prepareFuncExit(env: Env): number {
  const st = env.state;
  const callee = st.cur;
  const r0 = callee.reg(0);
  if (callee.callback === 'sync') {
    if (r0.type !== 'scalar') env.reject(EACCES, msg.r0NotScalar());
    const [lo, hi] = callee.callbackRet;
    if (r0.smin < lo || r0.smax > hi) {
      env.reject(EINVAL, msg.callbackRetRange('At callback return', 'R0', r0.smin > -(1n << 63n) ? r0.smin : undefined,
        r0.smax < (1n << 63n) - 1n ? r0.smax : undefined, lo, hi));
    }
  }
  st.frames.pop();
  const caller = st.cur;
  if (callee.callback === 'sync') {
    markRegUnknown(caller.reg(0));
    for (let r = 1; r <= 5; r++) markRegNotInit(caller.reg(r));
    return callee.callbackResume;
  }
  caller.reg(0).copyFrom(r0);
  return callee.callsite + 1;
}

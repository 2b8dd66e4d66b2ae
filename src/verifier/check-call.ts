/**
 * Helper calls: check_helper_call() and check_func_arg(), kernel/bpf/verifier.c (v6.18). Each
 * argument is checked against the helper's prototype (helpers/protos.ts) in order; then the map
 * the call uses is recorded (record_func_map / record_func_key), references are released,
 * callbacks are pushed (callbacks.ts), R1-R5 are clobbered and R0 takes the return type.
 * bpf-to-bpf calls are in func-call.ts; bpf_spin_lock and bpf_timer arguments in check-special.ts.
 */
import { helperProto, MAP_ONLY_HELPERS, type ArgProto, type HelperProto } from '../helpers/protos.ts';
import type { Insn } from '../isa/index.ts';
import { BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PROG_ARRAY } from '../uapi/bpf.ts';
import { EACCES, EINVAL } from '../uapi/errno.ts';
import * as F from '../uapi/helpers.ts';
import { regBoundsSync } from './bounds.ts';
import { pushCallbackCall } from './callbacks.ts';
import { checkHelperMemAccess, checkPtrOffReg, constantMapKey } from './check-mem.ts';
import { checkResourceLeak, processSpinLock, processTimerFunc } from './check-special.ts';
import { mayHelperAccessPacket } from './ctx-access.ts';
import type { Env } from './env.ts';
import * as msg from './messages.ts';
import { markChainPrecision } from './precision.ts';
import { RegState, markRegNotInit, markRegPointer, markRegUnknown, regIsNull, regTypeStr } from './reg.ts';
import { tnumIsConst } from './tnum.ts';

/** compatible_reg_types: what each argument kind accepts, as reg_type_str() prints them. */
const EXPECTED: Record<string, readonly string[]> = {
  ARG_CONST_MAP_PTR: ['map_ptr'],
  ARG_PTR_TO_MAP_KEY: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'],
  ARG_PTR_TO_MAP_VALUE: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'],
  ARG_PTR_TO_MEM: ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'],
  ARG_CONST_SIZE: ['scalar'], ARG_CONST_SIZE_OR_ZERO: ['scalar'], ARG_CONST_ALLOC_SIZE_OR_ZERO: ['scalar'],
  ARG_PTR_TO_CTX: ['ctx'], ARG_PTR_TO_FUNC: ['func'], ARG_PTR_TO_STACK: ['fp'], ARG_PTR_TO_TIMER: ['map_value'],
  ARG_PTR_TO_SPIN_LOCK: ['map_value', 'ptr_'], ARG_PTR_TO_RINGBUF_MEM: ['ringbuf_mem'], ARG_PTR_TO_CONST_STR: ['map_value'],
  ARG_PTR_TO_BTF_ID: ['ptr_', 'trusted_ptr_', 'rcu_ptr_'],
};

/** The type names an argument kind compares against (the register's flags folded as check_reg_type() does). */
function regTypeOk(reg: RegState, arg: ArgProto): boolean {
  if (reg.maybeNull && !arg.maybeNull) return false;
  if (reg.rdonly && !arg.rdonly) return false;
  if (arg.kind === 'ARG_PTR_TO_BTF_ID') return reg.type === 'btf_id';
  const t = reg.type === 'mem' && reg.ringbuf ? 'ringbuf_mem' : reg.type === 'btf_id' && reg.trusted ? 'trusted_ptr_' : reg.type;
  return (EXPECTED[arg.kind] ?? []).includes(t);
}

/** struct bpf_call_arg_meta: what the arguments told about the call. */
export interface CallMeta {
  map?: RegState['map'];
  mapUid: number;
  /** get_constant_map_key(): the key when it is a known constant on the stack, else -1. */
  constMapKey: bigint;
  memSize?: number;
  callbackSubprog?: number;
  refObjId: number;
  releaseRegno: number;
}

/** check_func_arg() for argument `argNo` (0-based; register argNo + 1). */
function checkFuncArg(env: Env, proto: HelperProto, argNo: number, meta: CallMeta): void {
  const arg = proto.args[argNo] as ArgProto;
  const regno = argNo + 1;
  const reg = env.srcReg(regno);
  if (arg.kind === 'ARG_ANYTHING') return;
  // Before the argument's type is looked at: a packet pointer goes only to .pkt_access helpers.
  if ((reg.type === 'pkt' || reg.type === 'pkt_meta') && !mayHelperAccessPacket(env.prog.progType, proto.pktAccess === true)) {
    env.reject(EACCES, msg.helperPktAccess());
  }
  if (!(arg.maybeNull && regIsNull(reg))) {
    if (!regTypeOk(reg, arg)) env.reject(EACCES, msg.regTypeExpected(regno, regTypeStr(reg), EXPECTED[arg.kind] ?? []));
    if (arg.kind === 'ARG_PTR_TO_BTF_ID' && reg.btfName !== arg.btfName) {
      env.reject(EACCES, msg.btfTypeMismatch(regno, reg.btfName, arg.btfName ?? ''));
    }
    checkFuncArgRegOff(env, reg, regno, arg);
  }
  if (arg.release) {
    if (!reg.refObjId && !regIsNull(reg)) env.reject(EINVAL, msg.releaseExpected(regno));
    meta.releaseRegno = regno;
  }
  if (reg.refObjId) meta.refObjId = reg.refObjId;
  switch (arg.kind) {
    case 'ARG_CONST_MAP_PTR':
      // A timer's map (remembered by the timer argument) must be this very map instance.
      if (meta.map && (meta.map !== reg.map || meta.mapUid !== reg.mapUid)) {
        env.reject(EINVAL, msg.timerMapUidMismatch(meta.mapUid, reg.mapUid));
      }
      meta.map = reg.map;
      meta.mapUid = reg.mapUid;
      break;
    case 'ARG_PTR_TO_MAP_KEY':
      if (!meta.map) env.reject(EACCES, msg.invalidMapPtrKey());
      checkHelperMemAccess(env, regno, meta.map.keySize, 'read', false);
      if (meta.map.type === BPF_MAP_TYPE_ARRAY || meta.map.type === BPF_MAP_TYPE_PERCPU_ARRAY) {
        meta.constMapKey = constantMapKey(env, reg, meta.map.keySize);
      }
      break;
    case 'ARG_PTR_TO_MAP_VALUE':
      if (!meta.map) env.reject(EACCES, msg.invalidMapPtrValue());
      checkHelperMemAccess(env, regno, meta.map.valueSize, arg.uninit ? 'write' : 'read', false, arg.uninit === true);
      break;
    case 'ARG_PTR_TO_FUNC': meta.callbackSubprog = reg.subprog; break;
    case 'ARG_PTR_TO_SPIN_LOCK': processSpinLock(env, regno, proto.id === F.BPF_FUNC_spin_lock); break;
    case 'ARG_PTR_TO_TIMER': {
      const { map, mapUid } = processTimerFunc(env, regno);
      meta.map = map;
      meta.mapUid = mapUid;
      break;
    }
    case 'ARG_CONST_ALLOC_SIZE_OR_ZERO':
      if (!tnumIsConst(reg.varOff)) env.reject(EACCES, msg.notKnownConstant(regno));
      meta.memSize = Number(reg.varOff.value);
      markChainPrecision(env, regno);
      break;
    case 'ARG_PTR_TO_CONST_STR':
      if (!reg.map || (reg.map.flags & BPF_F_RDONLY_PROG) === 0) env.reject(EACCES, msg.notReadonlyMap(regno));
      break;
    case 'ARG_CONST_SIZE': case 'ARG_CONST_SIZE_OR_ZERO':
      checkMemSizeReg(env, proto, argNo, reg, arg.kind === 'ARG_CONST_SIZE_OR_ZERO');
      break;
    default: break;
  }
}

/** check_func_arg_reg_off(): which pointers may carry an offset into a helper. */
function checkFuncArgRegOff(env: Env, reg: RegState, regno: number, arg: ArgProto): void {
  if (arg.release) {
    if (reg.off) env.reject(EINVAL, msg.releaseZeroOffset(regno));
    checkPtrOffReg(env, reg, regno, false);
    return;
  }
  switch (reg.type) {
    case 'fp': case 'pkt': case 'pkt_meta': case 'map_key': case 'map_value': case 'mem': case 'scalar': return;
    case 'btf_id': checkPtrOffReg(env, reg, regno, true); return;
    default: checkPtrOffReg(env, reg, regno, false);
  }
}

/** check_mem_size_reg(): the size argument bounds the memory argument before it. */
function checkMemSizeReg(env: Env, proto: HelperProto, argNo: number, reg: RegState, zeroOk: boolean): void {
  const regno = argNo + 1;
  if (reg.smin < 0n) env.reject(EACCES, msg.sizeNegative(regno));
  if (reg.umin === 0n && !zeroOk) env.reject(EACCES, msg.zeroSizedRead(regno, reg.umin, reg.umax));
  if (reg.umax >= 1n << 29n) env.reject(EACCES, msg.unboundedSize(regno));
  const memArg = proto.args[argNo - 1] as ArgProto;
  const memReg = env.reg(regno - 1);
  if (!(memArg.maybeNull && regIsNull(memReg))) {
    checkHelperMemAccess(env, regno - 1, Number(reg.umax), memArg.rdonly ? 'read' : 'write', zeroOk, memArg.uninit === true);
  }
  markChainPrecision(env, regno);
}

/** Helpers whose map the kernel records per call site (record_func_map()). */
const RECORDS_MAP = new Set([
  F.BPF_FUNC_tail_call, F.BPF_FUNC_map_lookup_elem, F.BPF_FUNC_map_update_elem, F.BPF_FUNC_map_delete_elem,
  F.BPF_FUNC_map_push_elem, F.BPF_FUNC_map_pop_elem, F.BPF_FUNC_map_peek_elem, F.BPF_FUNC_for_each_map_elem,
  F.BPF_FUNC_redirect_map, F.BPF_FUNC_map_lookup_percpu_elem,
]);
const WRITES_MAP = new Set([F.BPF_FUNC_map_delete_elem, F.BPF_FUNC_map_update_elem, F.BPF_FUNC_map_push_elem, F.BPF_FUNC_map_pop_elem]);

/** record_func_map() and record_func_key(): read-only maps refuse writers; tail calls need a prog array. */
function recordFuncMap(env: Env, id: number, meta: CallMeta): void {
  if (RECORDS_MAP.has(id) && meta.map && (meta.map.flags & BPF_F_RDONLY_PROG) !== 0 && WRITES_MAP.has(id)) {
    env.reject(EACCES, msg.writeIntoMapForbiddenHelper());
  }
  // The kernel prints this one without a newline: the stats line follows on the same line.
  if (id === F.BPF_FUNC_tail_call && meta.map?.type !== BPF_MAP_TYPE_PROG_ARRAY) env.reject(EINVAL, msg.expectedProgArray(), false);
  // record_func_key(): a constant in-range index makes the call site's target known; it relies on R3.
  if (id === F.BPF_FUNC_tail_call) {
    const r3 = env.reg(3);
    if (r3.type === 'scalar' && tnumIsConst(r3.varOff) && r3.varOff.value < BigInt(meta.map?.maxEntries ?? 0)) markChainPrecision(env, 3);
  }
}

/**
 * update_loop_inline_state(): a bpf_loop call site can be inlined while its flags are 0 and its
 * callback is always the same; the kernel relies on R4 being exactly 0 for that.
 */
function updateLoopInlineState(env: Env, insn: Insn, meta: CallMeta): void {
  const flagIsZero = (): boolean => {
    if (!regIsNull(env.reg(4))) return false;
    markChainPrecision(env, 4);
    return true;
  };
  const st = env.prec.loopInline.get(insn.idx);
  if (st === undefined) {
    env.prec.loopInline.set(insn.idx, { fit: flagIsZero(), subprog: meta.callbackSubprog });
    return;
  }
  if (st.fit) st.fit = flagIsZero() && st.subprog === meta.callbackSubprog;
}

/** check_map_func_compatibility(): helpers a map type refuses, and map types a helper refuses. */
function checkMapFuncCompat(env: Env, proto: HelperProto, meta: CallMeta): void {
  const map = meta.map;
  if (!map) return;
  const onlyFor = MAP_ONLY_HELPERS.get(map.type);
  if ((onlyFor && !onlyFor.has(proto.id)) || (proto.mapTypes && !proto.mapTypes.has(map.type))) {
    env.reject(EINVAL, msg.cannotPassMapType(map.type, helperFuncName(proto.id), proto.id));
  }
}

/** func_id_name(): `bpf_map_lookup_elem`, or `unknown` outside the helper table. */
export function helperFuncName(id: number): string {
  const name = F.helperName(id);
  return name === undefined ? 'unknown' : `bpf_${name}`;
}

/** bpf_capable programs under these licenses may call GPL-only helpers (license_is_gpl_compatible()). */
function isGplCompatible(license: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(license);
}

/** check_helper_call(). Returns normally with R0 set; callbacks it runs are pushed as states to explore. */
export function checkHelperCall(env: Env, insn: Insn): void {
  const id = insn.imm;
  const name = helperFuncName(id);
  const proto = helperProto(id);
  if (!proto) {
    // get_helper_proto(): only an id outside [0, __BPF_FUNC_MAX_ID) is "invalid" (0 is bpf_unspec).
    if (F.helperName(id) === undefined || id < 0) env.reject(EINVAL, msg.invalidFunc(name, id));
    env.reject(EINVAL, msg.helperNotAllowed(name, id));
  }
  if (!proto.progTypes.has(env.prog.progType)) env.reject(EINVAL, msg.helperNotAllowed(name, id));
  if (proto.gplOnly && !isGplCompatible(env.prog.license)) env.reject(EINVAL, msg.gplOnly());
  const meta: CallMeta = { mapUid: 0, constMapKey: -1n, refObjId: 0, releaseRegno: 0 };
  proto.args.forEach((_, i) => checkFuncArg(env, proto, i, meta));
  recordFuncMap(env, id, meta);
  if (meta.releaseRegno && meta.refObjId) releaseReference(env, meta.refObjId);
  switch (id) {
    case F.BPF_FUNC_tail_call: checkResourceLeak(env, 'tail_call'); break;
    case F.BPF_FUNC_loop: {
      // bpf_loop's iterations are simulated while the count allows (callback_depth < umax of R1).
      const cur = env.state.cur;
      updateLoopInlineState(env, insn, meta);
      // Whether the iterations are over depends on R1's exact value.
      markChainPrecision(env, 1);
      if (BigInt(cur.callbackDepth) < env.reg(1).umax) pushCallbackCall(env, insn, meta);
      else cur.callbackDepth = 0;
      break;
    }
    case F.BPF_FUNC_for_each_map_elem: case F.BPF_FUNC_timer_set_callback: case F.BPF_FUNC_find_vma:
    case F.BPF_FUNC_user_ringbuf_drain:
      pushCallbackCall(env, insn, meta);
      break;
    default: break;
  }
  for (let r = 1; r <= 5; r++) { markRegNotInit(env.reg(r)); env.scratch.regs |= 1 << r; }
  setReturnValue(env, insn, proto, meta);
  checkMapFuncCompat(env, proto, meta);
  const fact = proto.callback && meta.callbackSubprog !== undefined
    ? { kind: 'helper' as const, helperId: id, callbackSubprog: meta.callbackSubprog, asyncCallback: proto.callback === 'async' }
    : { kind: 'helper' as const, helperId: id };
  env.facts.set(insn.idx, fact);
}

/** release_reference(): the reference ends; every register holding it becomes unknown (root). */
function releaseReference(env: Env, refObjId: number): void {
  const refs = env.state.refs;
  const k = refs.findIndex((r) => r.kind === 'ptr' && r.id === refObjId);
  if (k >= 0) refs.splice(k, 1);
  for (const r of env.state.allRegs()) if (r.refObjId === refObjId) markRegUnknown(r);
}

/** do_refine_retval_range(): a CPU number is below nr_cpu_ids. */
function boundCpuId(r0: RegState, nrCpus: number): void {
  const max = BigInt(nrCpus - 1);
  r0.umin = r0.smin = 0n;
  r0.u32min = r0.s32min = 0n;
  r0.umax = r0.smax = max;
  r0.u32max = r0.s32max = max;
  regBoundsSync(r0);
}

/** R0 after the call, by the prototype's return type (ids as the kernel hands them out). */
function setReturnValue(env: Env, insn: Insn, proto: HelperProto, meta: CallMeta): void {
  const r0 = env.dstReg(0);
  switch (proto.ret) {
    case 'RET_INTEGER':
      markRegUnknown(r0);
      if (proto.id === F.BPF_FUNC_get_smp_processor_id && env.prog.nrCpus !== undefined) boundCpuId(r0, env.prog.nrCpus);
      break;
    case 'RET_VOID': markRegNotInit(r0); break;
    case 'RET_PTR_TO_MAP_VALUE_OR_NULL': {
      const map = meta.map;
      markRegPointer(r0, 'map_value');
      r0.map = map;
      r0.mapUid = meta.mapUid;
      // An array lookup with a constant in-range key cannot miss (can_elide_value_nullness()).
      const elide = proto.id === F.BPF_FUNC_map_lookup_elem && map !== undefined &&
        (map.type === BPF_MAP_TYPE_ARRAY || map.type === BPF_MAP_TYPE_PERCPU_ARRAY) &&
        meta.constMapKey >= 0n && meta.constMapKey < BigInt(map.maxEntries);
      r0.maybeNull = !elide;
      if (r0.maybeNull || (map?.record?.spinLockOff ?? -1) >= 0) r0.id = env.newId();
      break;
    }
    case 'RET_PTR_TO_RINGBUF_MEM_OR_NULL': {
      markRegPointer(r0, 'mem');
      r0.ringbuf = true; r0.maybeNull = true; r0.range = meta.memSize ?? 0;
      r0.id = env.newId();
      // acquire_reference(): a second id, after the one for the NULL check.
      const ref = env.newId();
      r0.id = ref;
      r0.refObjId = ref;
      env.state.refs.push({ id: ref, insnIdx: insn.idx, kind: 'ptr' });
      break;
    }
    case 'RET_PTR_TO_BTF_ID_TRUSTED':
      markRegPointer(r0, 'btf_id');
      r0.btfName = proto.retBtfName ?? '';
      r0.trusted = true;
      break;
    default: break;
  }
}

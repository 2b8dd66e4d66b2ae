/**
 * One instruction of the path walk (do_check_insn(), kernel/bpf/verifier.c v6.18): dispatch by
 * class to the ALU, memory, jump and call checks; ld_imm64 (check_ld_imm()), legacy packet loads
 * (check_ld_abs()) and exits (process_bpf_exit_full(), check_return_code()) are here.
 */
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ATOMIC, BPF_K, BPF_OR, BPF_W, BPF_XCHG, BPF_XOR, insnSrcBit, BPF_CALL, BPF_CMPXCHG, BPF_DW, BPF_EXIT, BPF_FETCH, BPF_IND, BPF_JA,
  BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_LD_IMM64, BPF_MEM, BPF_MEMSX, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE,
  BPF_ST, BPF_STX, insnClass, insnMode, insnOp, insnSize, sizeBytes, type Insn,
} from '../isa/index.ts';
import { BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SOCKET_FILTER } from '../uapi/bpf.ts';
import { EACCES, EFAULT, EINVAL } from '../uapi/errno.ts';
import { BPF_FUNC_spin_unlock } from '../uapi/helpers.ts';
import { jumpTarget } from './cfg.ts';
import { checkAluOp } from './check-alu.ts';
import { checkHelperCall } from './check-call.ts';
import { checkCondJmpOp } from './check-jmp.ts';
import { checkMemAccess, checkPtrOffReg } from './check-mem.ts';
import { checkResourceLeak } from './check-special.ts';
import type { Env } from './env.ts';
import { checkFuncCall, prepareFuncExit } from './func-call.ts';
import { checkGlobalReturn } from './global-func.ts';
import * as msg from './messages.ts';
import { markChainPrecision } from './precision.ts';
import { S64_MAX, S64_MIN, markRegConst, markRegKnown, markRegNotInit, markRegPointer, markRegUnknown, regTypeStr } from './reg.ts';

/** Checks one instruction; returns the next slot, or 'end' when the path ends here. */
export function stepInsn(env: Env, insn: Insn): number | 'end' {
  const nextSlot = insn.idx + (insn.code === BPF_LD_IMM64 ? 2 : 1);
  switch (insnClass(insn.code)) {
    case BPF_ALU: case BPF_ALU64:
      checkAluOp(env, insn);
      return nextSlot;
    case BPF_LDX:
      env.srcReg(insn.src);
      env.dstReg(insn.dst);
      checkMemAccess(env, insn.src, insn.off, sizeBytes(insnSize(insn.code)), 'read', insn.dst,
        { signExtend: insnMode(insn.code) === BPF_MEMSX });
      return nextSlot;
    case BPF_STX:
      checkStx(env, insn);
      return nextSlot;
    case BPF_ST:
      if (insnMode(insn.code) !== BPF_MEM || insn.src !== 0) env.reject(EINVAL, 'BPF_ST uses reserved fields');
      env.srcReg(insn.dst);
      checkMemAccess(env, insn.dst, insn.off, sizeBytes(insnSize(insn.code)), 'write', -1, { imm: insn.imm });
      return nextSlot;
    case BPF_LD:
      if (insn.code === BPF_LD_IMM64) { checkLdImm64(env, insn); return nextSlot; }
      if (insnMode(insn.code) === BPF_ABS || insnMode(insn.code) === BPF_IND) { checkLdAbs(env, insn); return nextSlot; }
      return env.reject(EINVAL, 'invalid BPF_LD mode');
    case BPF_JMP: case BPF_JMP32:
      return checkJmp(env, insn, nextSlot);
    default:
      return env.reject(EINVAL, msg.unknownOpcode(insn.code));
  }
}

const BPF_LOAD_ACQ = 0x100;
const BPF_STORE_REL = 0x110;
const RMW_OPS = new Set([BPF_ADD, BPF_ADD | BPF_FETCH, BPF_AND, BPF_AND | BPF_FETCH, BPF_OR, BPF_OR | BPF_FETCH,
  BPF_XOR, BPF_XOR | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG]);

/** check_atomic(): read-modify-write ops on stack and map memory, acquire loads and release stores. */
function checkAtomic(env: Env, insn: Insn): void {
  const size = sizeBytes(insnSize(insn.code));
  if (insn.imm === BPF_LOAD_ACQ) {
    env.srcReg(insn.src);
    env.dstReg(insn.dst);
    checkMemAccess(env, insn.src, insn.off, size, 'read', insn.dst);
    return;
  }
  if (insn.imm === BPF_STORE_REL) {
    env.srcReg(insn.src);
    env.srcReg(insn.dst);
    checkMemAccess(env, insn.dst, insn.off, size, 'write', insn.src);
    return;
  }
  if (!RMW_OPS.has(insn.imm)) env.reject(EINVAL, msg.atomicInvalidOpcode(insn.imm));
  if (insnSize(insn.code) !== BPF_W && insnSize(insn.code) !== BPF_DW) env.reject(EINVAL, msg.atomicOperandSize());
  env.srcReg(insn.src);
  env.srcReg(insn.dst);
  if (insn.imm === BPF_CMPXCHG) env.srcReg(0);
  const t = env.reg(insn.dst).type;
  if (t === 'ctx' || t === 'pkt' || t === 'pkt_meta' || t === 'pkt_end') {
    env.reject(EACCES, msg.atomicOnPointer(insn.dst, regTypeStr(env.reg(insn.dst))));
  }
  const loadReg = (insn.imm & BPF_FETCH) === 0 ? -1 : insn.imm === BPF_CMPXCHG ? 0 : insn.src;
  if (loadReg >= 0) env.dstReg(loadReg);
  checkMemAccess(env, insn.dst, insn.off, size, 'read', -1);
  if (loadReg >= 0) checkMemAccess(env, insn.dst, insn.off, size, 'read', loadReg);
  checkMemAccess(env, insn.dst, insn.off, size, 'write', -1);
}

function checkStx(env: Env, insn: Insn): void {
  const size = sizeBytes(insnSize(insn.code));
  if (insnMode(insn.code) === BPF_ATOMIC) { checkAtomic(env, insn); return; }
  if (insnMode(insn.code) !== BPF_MEM || insn.imm !== 0) env.reject(EINVAL, 'BPF_STX uses reserved fields');
  env.srcReg(insn.src);
  env.srcReg(insn.dst);
  checkMemAccess(env, insn.dst, insn.off, size, 'write', insn.src);
}

function checkJmp(env: Env, insn: Insn, nextSlot: number): number | 'end' {
  const op = insnOp(insn.code);
  if (op === BPF_CALL) {
    if (insnSrcBit(insn.code) !== BPF_K || (insn.src !== BPF_PSEUDO_KFUNC_CALL && insn.off !== 0) ||
      (insn.src !== 0 && insn.src !== BPF_PSEUDO_CALL && insn.src !== BPF_PSEUDO_KFUNC_CALL) || insn.dst !== 0 ||
      insnClass(insn.code) === BPF_JMP32) {
      env.reject(EINVAL, msg.reservedFieldsOf('BPF_CALL'));
    }
    if (env.state.activeLocks > 0 && (insn.src === 0 || insn.src === BPF_PSEUDO_KFUNC_CALL) &&
      !(insn.src === 0 && insn.imm === BPF_FUNC_spin_unlock)) {
      env.reject(EINVAL, msg.helperInLock());
    }
    let next = nextSlot;
    if (insn.src === BPF_PSEUDO_CALL) next = checkFuncCall(env, insn);
    else if (insn.src === BPF_PSEUDO_KFUNC_CALL) env.reject(EINVAL, msg.kfuncNotSupported());
    else checkHelperCall(env, insn);
    env.scratch.regs |= 1;
    return next;
  }
  if (op === BPF_EXIT) {
    if (insnSrcBit(insn.code) !== BPF_K || insn.imm !== 0 || insn.src !== 0 || insn.dst !== 0 || insnClass(insn.code) === BPF_JMP32) {
      env.reject(EINVAL, msg.reservedFieldsOf('BPF_EXIT'));
    }
    if (env.state.curframe > 0) {
      // The callee's stack facts are solved before its frame goes (bpf_update_live_stack()).
      env.stackLive.update(env.state);
      return prepareFuncExit(env);
    }
    checkResourceLeak(env, 'BPF_EXIT instruction in main prog');
    checkReturnCode(env);
    return 'end';
  }
  if (op === BPF_JA) {
    const jmp32 = insnClass(insn.code) === BPF_JMP32;
    if (insnSrcBit(insn.code) !== BPF_K || insn.src !== 0 || insn.dst !== 0 || (!jmp32 && insn.imm !== 0) || (jmp32 && insn.off !== 0)) {
      env.reject(EINVAL, msg.reservedFieldsOf('BPF_JA'));
    }
    return jumpTarget(insn);
  }
  if (op === BPF_JCOND) {
    if (insn.code !== (BPF_JMP | BPF_JCOND) || insn.src !== 0 || insn.dst !== 0 || insn.imm !== 0) {
      env.reject(EINVAL, msg.invalidMayGoto(insn.imm));
    }
    env.pushState(env.state.clone(), jumpTarget(insn), insn.idx);
    env.printInsnState(insn.idx, true);
    return nextSlot;
  }
  const { fallthrough, taken } = checkCondJmpOp(env, insn);
  const target = jumpTarget(insn);
  if (taken && taken !== env.state && fallthrough) env.pushState(taken, target, insn.idx, false, EFAULT);
  env.printInsnState(insn.idx, true);
  if (taken === env.state) return target;
  if (taken && fallthrough) return nextSlot;
  if (taken) { env.state = taken; return target; }
  if (fallthrough) return nextSlot;
  return 'end';
}

/** check_ld_imm(): constants, map pointers, map value addresses and callback addresses. */
function checkLdImm64(env: Env, insn: Insn): void {
  if (insn.off !== 0) env.reject(EINVAL, 'BPF_LD_IMM64 uses reserved fields');
  const dst = env.dstReg(insn.dst);
  switch (insn.src) {
    case 0: markRegConst(dst, insn.imm64 ?? BigInt(insn.imm)); return;
    case BPF_PSEUDO_MAP_FD: case BPF_PSEUDO_MAP_IDX: {
      const ref = env.mapRef(insn);
      if (!ref) return env.reject(EINVAL, msg.fdNotMap(insn.imm));
      markRegPointer(dst, 'map_ptr');
      dst.map = ref.map;
      return;
    }
    case BPF_PSEUDO_MAP_VALUE: case BPF_PSEUDO_MAP_IDX_VALUE: {
      const ref = env.mapRef(insn);
      if (!ref) return env.reject(EINVAL, msg.fdNotMap(insn.imm));
      // The offset into the value is the register's (constant) variable part, as __mark_reg_known() makes it.
      markRegPointer(dst, 'map_value');
      markRegKnown(dst, BigInt(ref.valueOffset ?? 0));
      dst.map = ref.map;
      return;
    }
    case BPF_PSEUDO_FUNC: {
      const subprog = env.cfg.subprogOf[insn.idx + insn.imm + 1] as number;
      const info = env.prog.funcInfo;
      if (!info || info.length === 0) env.reject(EINVAL, msg.missingFuncInfo());
      const linkage = info[subprog]?.linkage ?? 'static';
      if (linkage !== 'static') env.reject(EINVAL, msg.callbackNotStatic());
      markRegPointer(dst, 'func');
      dst.subprog = subprog;
      return;
    }
    default: env.reject(EINVAL, msg.invalidLdImm64());
  }
}

/** check_ld_abs(): socket filters and TC only; R6 must be the context; R1-R5 are clobbered. */
function checkLdAbs(env: Env, insn: Insn): void {
  const t = env.prog.progType;
  if (t !== BPF_PROG_TYPE_SOCKET_FILTER && t !== BPF_PROG_TYPE_SCHED_CLS && t !== BPF_PROG_TYPE_SCHED_ACT) {
    env.reject(EINVAL, msg.ldAbsNotAllowed());
  }
  if (insn.dst !== 0 || insn.off !== 0 || insnSize(insn.code) === BPF_DW || (insnMode(insn.code) === BPF_ABS && insn.src !== 0)) {
    env.reject(EINVAL, msg.ldAbsReserved());
  }
  const r6 = env.srcReg(6);
  checkResourceLeak(env, 'BPF_LD_[ABS|IND]');
  if (r6.type !== 'ctx') env.reject(EINVAL, msg.ldAbsR6NotCtx());
  if (insnMode(insn.code) === BPF_IND) env.srcReg(insn.src);
  checkPtrOffReg(env, r6, 6, false);
  for (let r = 0; r <= 5; r++) { markRegNotInit(env.reg(r)); env.scratch.regs |= 1 << r; }
  markRegUnknown(env.reg(0));
}

/**
 * check_return_code() for the outermost frame: R0 must be set; an async callback must return
 * exactly 0. The program types tsbpf runs (XDP, TC, socket filters, tracing, syscall) may return
 * anything else.
 */
function checkReturnCode(env: Env): void {
  const r0 = env.srcReg(0);
  const frame = env.state.frames[0];
  if (frame?.callback === 'none' && frame.subprog > 0) checkGlobalReturn(env, r0);
  if (frame?.callback !== 'async') return;
  if (r0.type !== 'scalar') env.reject(EINVAL, msg.asyncRetNotKnown(regTypeStr(r0)));
  markChainPrecision(env, 0);
  const [lo, hi] = frame.callbackRet;
  if (r0.smin < lo || r0.smax > hi) {
    env.reject(EINVAL, msg.callbackRetRange('At async callback return', 'R0', r0.smin > S64_MIN ? r0.smin : undefined,
      r0.smax < S64_MAX ? r0.smax : undefined, lo, hi));
  }
}

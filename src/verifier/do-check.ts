/**
 * The path walk (do_check(), kernel/bpf/verifier.c v6.18): instructions are checked one at a
 * time along every feasible path, depth first; conditional jumps push the other side; states
 * saved at prune points cut paths already proved safe.
 */
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DW, BPF_EXIT, BPF_FETCH, BPF_IND, BPF_JA,
  BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_LD_IMM64, BPF_MEM, BPF_MEMSX, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE,
  BPF_ST, BPF_STX, insnClass, insnMode, insnOp, insnSize, sizeBytes, type Insn,
} from '../isa/index.ts';
import { E2BIG, EINVAL } from '../uapi/errno.ts';
import { jumpTarget } from './cfg.ts';
import { checkAluOp } from './check-alu.ts';
import { checkHelperCall, prepareFuncExit, pushCallFrame } from './check-call.ts';
import { checkCondJmpOp } from './check-jmp.ts';
import { checkMemAccess } from './check-mem.ts';
import type { Env } from './env.ts';
import { frameStr } from './log.ts';
import * as msg from './messages.ts';
import { markRegConst, markRegNotInit, markRegPointer, markRegUnknown } from './reg.ts';
import { pathEnded, statesEqual, type ExploredState } from './prune.ts';
import type { VerifierState } from './state.ts';

interface Pending {
  readonly state: VerifierState;
  readonly parent: ExploredState | undefined;
}

export interface WalkStats {
  processed: number;
  totalStates: number;
  peakStates: number;
  maxStatesPerInsn: number;
}

/** Live-register masks for each frame of a state at `slot` (callers resume after their call). */
function liveMasks(env: Env, st: VerifierState, slot: number): number[] {
  return st.frames.map((f, i) => {
    const next = st.frames[i + 1];
    if (!next) return env.cfg.liveIn[slot] ?? 0xffff;
    const resume = next.callback === 'sync' ? next.callbackResume : next.callsite + 1;
    return (env.cfg.liveIn[resume] ?? 0xffff) | (next.callback === 'sync' ? 0xffff : 0);
  });
}

export function doCheck(env: Env, initial: VerifierState, limit: number): WalkStats {
  const stats: WalkStats = { processed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0 };
  const explored = new Map<number, ExploredState[]>();
  const stack: Pending[] = [];
  let parent: ExploredState | undefined;
  env.state = initial;
  let printState = true;
  let fromIdx = -1;
  let jmps = 0, prevJmps = 0, prevProcessed = 0, liveStates = 0;

  const endPath = (): boolean => {
    pathEnded(parent);
    const next = stack.pop();
    if (!next) return false;
    env.state = next.state;
    parent = next.parent;
    fromIdx = next.state.prevInsnIdx;
    printState = true;
    return true;
  };

  for (;;) {
    const st = env.state;
    const idx = st.insnIdx;
    env.insnIdx = idx;
    const insn = env.insnAt(idx) as Insn;
    if (++stats.processed > limit) env.reject(E2BIG, msg.tooLarge(stats.processed));

    if (env.cfg.prunePoints[idx]) {
      // Like is_state_visited(): a new state is saved only after 2 jumps and 8 instructions since
      // the last one (fewer while looping), and states that keep missing are evicted, so a long
      // loop costs linear time, not quadratic.
      const list = explored.get(idx) ?? [];
      const live = liveMasks(env, st, idx);
      let addNew = jmps - prevJmps >= 2 && stats.processed - prevProcessed >= 8;
      let pruned = false;
      stats.maxStatesPerInsn = Math.max(stats.maxStatesPerInsn, list.length);
      for (let i = 0; i < list.length; i++) {
        const old = list[i] as ExploredState;
        if (old.branches === 0) {
          if (statesEqual(old.state, st, live, false)) { old.hits++; pruned = true; break; }
        } else {
          if (statesEqual(old.state, st, live, true)) env.reject(EINVAL, msg.infiniteLoop(idx));
          if (jmps - prevJmps < 20 && stats.processed - prevProcessed < 100) addNew = false;
        }
        if (addNew) old.misses++;
        if (old.misses > old.hits * 3 + 3) { list.splice(i, 1); i--; liveStates--; }
      }
      if (pruned) {
        if (env.log.level > 1) env.log.print(`${idx}: safe`);
        else if (env.log.enabled && printState && fromIdx >= 0) env.log.print(`from ${fromIdx} to ${idx}: safe`);
        if (!endPath()) break;
        continue;
      }
      if (addNew) {
        const saved: ExploredState = { state: st.clone(), branches: 1, parent, hits: 0, misses: 0 };
        list.push(saved);
        explored.set(idx, list);
        parent = saved;
        prevJmps = jmps;
        prevProcessed = stats.processed;
        stats.totalStates++;
        stats.peakStates = Math.max(stats.peakStates, ++liveStates);
      }
    }
    if (insnClass(insn.code) === BPF_JMP || insnClass(insn.code) === BPF_JMP32) jmps++;

    if (env.log.enabled) {
      if (env.log.level > 1 || printState) {
        const head = env.log.level > 1 || fromIdx < 0 ? `${idx}:` : `from ${fromIdx} to ${idx}:`;
        if (fromIdx >= 0 && env.log.level === 1) env.log.print('');
        env.log.print(head + st.frames.map((f) => frameStr(f)).join(''));
      }
      env.log.insn(insn);
    }
    printState = false;
    env.scratch.regs = 0;
    env.scratch.slots.clear();
    st.prevInsnIdx = idx;

    const next = step(env, insn, stack, parent);
    if (env.log.enabled && next !== 'end' && (env.scratch.regs || env.scratch.slots.size)) {
      env.log.insnState(frameStr(env.state.cur, env.scratch));
    }
    if (typeof next === 'number') {
      env.state.insnIdx = next;
      continue;
    }
    if (!endPath()) break;
  }
  return stats;
}

/** Checks one instruction; returns the next slot, or 'end' when the path ends here. */
function step(env: Env, insn: Insn, stack: Pending[], parent: ExploredState | undefined): number | 'end' {
  const cls = insnClass(insn.code);
  const nextSlot = insn.idx + (insn.code === BPF_LD_IMM64 ? 2 : 1);
  const push = (st: VerifierState, at: number): void => {
    st.insnIdx = at;
    st.prevInsnIdx = insn.idx;
    if (parent) parent.branches++;
    stack.push({ state: st, parent });
  };
  switch (cls) {
    case BPF_ALU: case BPF_ALU64:
      checkAluOp(env, insn);
      return nextSlot;
    case BPF_LDX: {
      env.srcReg(insn.src);
      env.dstReg(insn.dst);
      checkMemAccess(env, insn.src, insn.off, sizeBytes(insnSize(insn.code)), 'read', insn.dst,
        { signExtend: insnMode(insn.code) === BPF_MEMSX });
      return nextSlot;
    }
    case BPF_STX: {
      env.srcReg(insn.src);
      env.srcReg(insn.dst);
      const size = sizeBytes(insnSize(insn.code));
      if (insnMode(insn.code) === BPF_ATOMIC) {
        checkMemAccess(env, insn.dst, insn.off, size, 'read', -1);
        checkMemAccess(env, insn.dst, insn.off, size, 'write', -1);
        if (insn.imm === BPF_CMPXCHG) { env.srcReg(0); markRegUnknown(env.dstReg(0)); }
        else if (insn.imm & BPF_FETCH) markRegUnknown(env.dstReg(insn.src));
        return nextSlot;
      }
      if (insnMode(insn.code) !== BPF_MEM) env.reject(EINVAL, msg.unknownOpcode(insn.code));
      checkMemAccess(env, insn.dst, insn.off, size, 'write', insn.src);
      return nextSlot;
    }
    case BPF_ST:
      env.srcReg(insn.dst);
      checkMemAccess(env, insn.dst, insn.off, sizeBytes(insnSize(insn.code)), 'write', -1, { imm: insn.imm });
      return nextSlot;
    case BPF_LD:
      if (insn.code === BPF_LD_IMM64) { checkLdImm64(env, insn); return nextSlot; }
      if (insnMode(insn.code) === BPF_ABS || insnMode(insn.code) === BPF_IND) { checkLdAbs(env, insn); return nextSlot; }
      return env.reject(EINVAL, msg.unknownOpcode(insn.code));
    case BPF_JMP: case BPF_JMP32: {
      const op = insnOp(insn.code);
      if (op === BPF_CALL) {
        if (insn.src === BPF_PSEUDO_CALL) {
          pushCallFrame(env, insn.idx, insn.idx + insn.imm + 1, 'none');
          return insn.idx + insn.imm + 1;
        }
        if (insn.src === BPF_PSEUDO_KFUNC_CALL) env.reject(EINVAL, msg.kfuncNotSupported());
        const { callback } = checkHelperCall(env, insn);
        if (callback !== undefined) {
          const start = env.cfg.subprogStarts[callback] as number;
          pushCallFrame(env, insn.idx, start, 'sync');
          return start;
        }
        return nextSlot;
      }
      if (op === BPF_EXIT) {
        if (env.state.curframe > 0) return prepareFuncExit(env);
        checkExit(env);
        return 'end';
      }
      if (op === BPF_JA) return jumpTarget(insn);
      if (op === BPF_JCOND) {
        push(env.state.clone(), jumpTarget(insn));
        return nextSlot;
      }
      const { fallthrough, taken } = checkCondJmpOp(env, insn);
      const target = jumpTarget(insn);
      if (taken === env.state) return target;
      if (taken && fallthrough) { push(taken, target); return nextSlot; }
      if (taken) { env.state = taken; return target; }
      if (fallthrough) return nextSlot;
      return 'end';
    }
    default:
      return env.reject(EINVAL, msg.unknownOpcode(insn.code));
  }
}

function checkLdImm64(env: Env, insn: Insn): void {
  const dst = env.dstReg(insn.dst);
  switch (insn.src) {
    case 0: markRegConst(dst, insn.imm64 ?? BigInt(insn.imm)); return;
    case BPF_PSEUDO_MAP_FD: case BPF_PSEUDO_MAP_IDX: {
      const ref = env.mapRef(insn);
      if (!ref) env.reject(EINVAL, msg.fdNotMap(insn.imm));
      markRegPointer(dst, 'map_ptr');
      dst.map = ref.map;
      return;
    }
    case BPF_PSEUDO_MAP_VALUE: case BPF_PSEUDO_MAP_IDX_VALUE: {
      const ref = env.mapRef(insn);
      if (!ref) env.reject(EINVAL, msg.fdNotMap(insn.imm));
      markRegPointer(dst, 'map_value');
      dst.map = ref.map;
      dst.off = ref.valueOffset ?? 0;
      return;
    }
    case BPF_PSEUDO_FUNC:
      markRegPointer(dst, 'func');
      dst.subprog = env.cfg.subprogOf[insn.idx + insn.imm + 1] as number;
      return;
    default: env.reject(EINVAL, msg.invalidLdImm64());
  }
}

/** Legacy packet loads (check_ld_abs): R6 must be the context, R1-R5 are clobbered. */
function checkLdAbs(env: Env, insn: Insn): void {
  const r6 = env.srcReg(6);
  if (insnMode(insn.code) === BPF_IND) env.srcReg(insn.src);
  if (insnSize(insn.code) === BPF_DW) env.reject(EINVAL, 'BPF_LD_[ABS|IND] uses reserved fields');
  if (r6.type !== 'ctx') env.reject(EINVAL, 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
  for (let r = 1; r <= 5; r++) markRegNotInit(env.reg(r));
  markRegUnknown(env.dstReg(0));
}

/** The main program's exit: R0 set, no references or locks held (check_return_code, check_resource_leak). */
function checkExit(env: Env): void {
  if (env.state.activeLockId) env.reject(EINVAL, msg.exitInLock());
  const leak = env.state.refs[0];
  if (leak) env.reject(EINVAL, msg.unreleasedRef(leak.id, leak.insnIdx));
  env.srcReg(0);
}

/**
 * bpf-to-bpf calls and returns: check_func_call(), setup_func_entry() and prepare_func_exit(),
 * kernel/bpf/verifier.c (v6.18). A call pushes a frame for the callee with R1-R5 passed and
 * the caller's R0-R5 cleared; a return hands R0 back, or, for a sync callback, goes back to the
 * helper call that runs it so the next iteration can be simulated.
 */
import { MAX_CALL_FRAMES, type Insn } from '../isa/index.ts';
import { E2BIG, EACCES, EINVAL } from '../uapi/errno.ts';
import type { Env } from './env.ts';
import { checkGlobalFuncCall, isGlobalFunc } from './global-func.ts';
import { frameStr } from './log.ts';
import * as msg from './messages.ts';
import { markChainPrecision, widenImpreciseScalars } from './precision.ts';
import { RegState, S64_MAX, S64_MIN, markRegNotInit } from './reg.ts';
import { FuncState, type VerifierState } from './state.ts';

/** Fills the callee's argument registers from the caller's (a set_callee_state_fn). */
export type SetCalleeState = (caller: FuncState, callee: FuncState) => void;

/** set_callee_state(): a plain call passes R1-R5 unchanged. */
const passArgs: SetCalleeState = (caller, callee) => {
  for (let r = 1; r <= 5; r++) (callee.regs[r] as RegState).copyFrom(caller.reg(r));
};

/**
 * setup_func_entry(): push a frame for `subprog` onto `st`, called from `callsite`.
 * @throws Reject E2BIG past MAX_CALL_FRAMES frames.
 */
export function setupFuncEntry(env: Env, st: VerifierState, subprog: number, callsite: number, set: SetCalleeState): FuncState {
  if (st.frames.length >= MAX_CALL_FRAMES) env.reject(E2BIG, msg.callStackTooDeep(st.frames.length + 1));
  const caller = st.cur;
  const callee = FuncState.init(st.frames.length, callsite, subprog);
  callee.asyncEntryCnt = caller.asyncEntryCnt;
  set(caller, callee);
  st.frames.push(callee);
  // init_func_state() marks the whole state scratched: the callee's first line prints everything.
  env.scratchAll();
  return callee;
}

/** clear_caller_saved_regs(): R0-R5 are gone after a call. */
function clearCallerSaved(env: Env, f: FuncState): void {
  for (let r = 0; r <= 5; r++) { markRegNotInit(f.reg(r)); env.scratch.regs |= 1 << r; }
}

/**
 * check_func_call(): enter the callee; returns the slot to continue at (the callee's first). A
 * global function is not entered (global-func.ts): the walk goes on after the call.
 */
export function checkFuncCall(env: Env, insn: Insn): number {
  const target = insn.idx + insn.imm + 1;
  const subprog = env.cfg.subprogOf[target] as number;
  const st = env.state;
  if (isGlobalFunc(env, subprog)) return checkGlobalFuncCall(env, insn, subprog);
  // Without the program's BTF a global function is walked inline, but still not under a lock.
  const linkage = env.prog.funcInfo?.[subprog]?.linkage;
  if (linkage === 'global' && st.activeLocks > 0) env.reject(EINVAL, msg.globalCallInLock());
  const caller = st.cur;
  setupFuncEntry(env, st, subprog, insn.idx, passArgs);
  clearCallerSaved(env, caller);
  env.stackLive.resetCallchain();
  if (env.log.enabled) {
    env.log.print('caller:');
    env.log.print(frameStr(st, st.curframe - 1));
    env.log.print('callee:');
    env.log.print(frameStr(st, st.curframe));
  }
  return target;
}

/**
 * prepare_func_exit(): leave the current (non-outermost) frame. A sync callback must return a
 * scalar in its range and goes back to its call site; a plain callee hands R0 to the caller.
 */
export function prepareFuncExit(env: Env): number {
  const st = env.state;
  const callee = st.cur;
  const r0 = callee.reg(0);
  if (r0.type === 'fp') env.reject(EINVAL, msg.returnStackPtr());
  const caller = st.frames[st.curframe - 1] as FuncState;
  const inCallback = callee.callback === 'sync';
  if (inCallback) {
    if (r0.type !== 'scalar') env.reject(EACCES, msg.r0NotScalar());
    markChainPrecision(env, 0);
    const [lo, hi] = callee.callbackRet;
    if (r0.smin < lo || r0.smax > hi) {
      env.reject(EINVAL, msg.callbackRetRange('At callback return', 'R0', r0.smin > S64_MIN ? r0.smin : undefined,
        r0.smax < S64_MAX ? r0.smax : undefined, lo, hi));
    }
  } else {
    caller.reg(0).copyFrom(r0);
  }
  const next = inCallback ? callee.callsite : callee.callsite + 1;
  if (env.log.enabled) {
    env.log.print('returning from callee:');
    env.log.print(frameStr(st, st.curframe));
    env.log.print(`to caller at ${next}:`);
    env.log.print(frameStr(st, st.curframe - 1));
  }
  st.frames.pop();
  env.doPrintState = true;
  // Back at the call site of a sync callback: what changed since the last iteration and
  // does not matter exactly is widened, so the iterations converge.
  if (inCallback) {
    const prev = findPrevEntry(env, st, next);
    if (prev) widenImpreciseScalars(prev, st);
  }
  return next;
}

/** find_prev_entry(): the latest state saved at `idx` on the current path, with the same call chain. */
function findPrevEntry(env: Env, st: VerifierState, idx: number): VerifierState | undefined {
  const list = env.exploredBucket(idx, st.cur.callsite);
  for (let i = list.length - 1; i >= 0; i--) {
    const old = list[i] as { state: VerifierState; branches: number };
    if (old.state.insnIdx !== idx || old.branches === 0 || old.state.frames.length !== st.frames.length) continue;
    if (old.state.frames.every((f, k) => f.callsite === st.frames[k]?.callsite)) return old.state;
  }
  return undefined;
}

/**
 * The path walk (do_check() and is_state_visited(), kernel/bpf/verifier.c v6.18): instructions
 * are checked one at a time along every feasible path, depth first; conditional jumps, sync
 * callbacks and async callbacks push states to explore later; states saved at prune points cut
 * paths already proved safe. The per-instruction checks are in check-insn.ts.
 */
import { BPF_JMP, BPF_JMP32, insnClass, type Insn } from '../isa/index.ts';
import { E2BIG, EINVAL } from '../uapi/errno.ts';
import { stepInsn } from './check-insn.ts';
import type { Env, WalkStats } from './env.ts';
import { frameStr } from './log.ts';
import * as msg from './messages.ts';
import { pushInsnHistory } from './backtrack.ts';
import { markAllScalarsImprecise, propagatePrecision } from './precision.ts';
import { pathEnded, statesEqual, statesMaybeLooping, type ExploredState } from './prune.ts';
import { markRegNotInit } from './reg.ts';
import { STACK_INVALID, type FuncState, type VerifierState } from './state.ts';

/**
 * Live-register masks for each frame of a state at `slot`: the current frame's registers live
 * before `slot`, a caller's those live before the call it waits at (frame_insn_idx()).
 */
function liveMasks(env: Env, st: VerifierState, slot: number): number[] {
  const out: number[] = [];
  const frames = st.frames;
  for (let i = 0; i < frames.length; i++) {
    const next = frames[i + 1];
    out.push(env.cfg.liveIn[next ? next.callsite : slot] ?? 0xffff);
  }
  return out;
}

/**
 * clean_func_state(): a finished state forgets the registers dead before `ip` (the static
 * liveness of cfg.ts) and the stack slots no later instruction may read (stack-liveness.ts).
 */
function cleanFuncState(env: Env, f: FuncState, ip: number): void {
  const live = env.cfg.liveIn[ip] ?? 0xffff;
  for (let r = 0; r < 10; r++) if (!(live & (1 << r))) markRegNotInit(f.reg(r));
  f.stack.forEach((slot, spi) => {
    if (env.stackLive.slotAlive(f.frameno, spi)) return;
    markRegNotInit(slot.spilled);
    slot.slotType.fill(STACK_INVALID);
  });
}

/**
 * clean_live_states(): the states saved at `idx` whose paths have all ended, reached through
 * the same call sites as `cur`, are cleaned once (a caller frame at the call it waits on).
 */
function cleanLiveStates(env: Env, idx: number, cur: VerifierState): void {
  for (const sl of env.exploredBucket(idx, cur.cur.callsite)) {
    const st = sl.state;
    if (sl.branches > 0 || st.insnIdx !== idx || sl.cleaned) continue;
    if (st.frames.length !== cur.frames.length || st.frames.some((f, i) => f.callsite !== cur.frames[i]?.callsite)) continue;
    env.stackLive.queryInit(st);
    sl.cleaned = true;
    st.frames.forEach((f, i) => cleanFuncState(env, f, st.frames[i + 1]?.callsite ?? st.insnIdx));
  }
}

/**
 * The prune-point lookup: 'pruned' ends the path. Mirrors is_state_visited(): the bucket is
 * walked newest first; states still being explored can only prove an infinite loop (or, at a
 * call that runs a sync callback, convergence); finished ones prune when the current state is
 * within them. A new state is saved only every few jumps and instructions, and states that keep
 * missing are evicted, so long loops cost linear time.
 */
function isStateVisited(env: Env, idx: number, counters: Counters): 'pruned' | 'go' {
  const st = env.state;
  const stats = env.stats;
  const force = env.cfg.forceCheckpoints[idx] === 1;
  // A checkpoint also keeps the instruction history (walked by precision backtracking) short.
  const forceNew = force || st.jmpHistory.length > 40;
  let addNew = forceNew || (counters.jmps - counters.prevJmps >= 2 && stats.processed - counters.prevProcessed >= 8);
  cleanLiveStates(env, idx, st);
  const list = env.exploredBucket(idx, st.cur.callsite);
  const live = liveMasks(env, st, idx);
  const callsCallback = env.cfg.callsCallback[idx] === 1;
  let statesCnt = 0;
  for (let i = list.length - 1; i >= 0; i--) {
    const old = list[i] as ExploredState;
    statesCnt++;
    if (old.state.insnIdx !== idx) continue;
    let hit = false;
    if (old.branches > 0) {
      const oldTop = old.state.frames[old.state.curframe];
      const differentAsyncEntry = oldTop?.callback === 'async' && oldTop.asyncEntryCnt !== st.cur.asyncEntryCnt;
      if (!differentAsyncEntry) {
        if (callsCallback) {
          // A callback iterating back to its call site converges when nothing new is seen.
          hit = statesEqual(old.state, st, live, 'range_within');
        } else if (statesMaybeLooping(old.state, st) && statesEqual(old.state, st, live, 'exact')) {
          env.reject(EINVAL, `${msg.infiniteLoop(idx)}\ncur state:${frameStr(st, st.curframe)}\nold state:${frameStr(old.state, st.curframe)}`);
        }
      }
      if (!hit && !forceNew && counters.jmps - counters.prevJmps < 20 && stats.processed - counters.prevProcessed < 100) addNew = false;
    } else {
      hit = statesEqual(old.state, st, live, 'not_exact');
    }
    if (hit) {
      old.hits++;
      // What the old state needed exact, the paths that led here need too.
      if (env.prec.jmpPoints[idx]) pushInsnHistory(env, st);
      propagatePrecision(env, old.state);
      return 'pruned';
    }
    if (addNew) old.misses++;
    const n = force && old.branches > 0 ? 64 : 3;
    if (old.misses > old.hits * n + n) {
      // Evicted: on the free list, counted until its last path ends (maybe_free_verifier_state()).
      list.splice(i, 1);
      if (old.branches === 0) counters.liveStates--;
      else old.evicted = true;
    }
  }
  stats.maxStatesPerInsn = Math.max(stats.maxStatesPerInsn, statesCnt);
  if (!addNew) return 'go';
  // Checkpoints start imprecise: paths below mark what they rely on (precision.ts).
  markAllScalarsImprecise(st);
  const saved: ExploredState = { state: st.clone(), branches: 1, parent: env.parent, hits: 0, misses: 0 };
  list.push(saved);
  env.parent = saved;
  env.prec.scc.enter(env, saved);
  st.firstInsnIdx = idx;
  st.jmpHistory = [];
  counters.prevJmps = counters.jmps;
  counters.prevProcessed = stats.processed;
  stats.totalStates++;
  stats.peakStates = Math.max(stats.peakStates, ++counters.liveStates);
  return 'go';
}

interface Counters { jmps: number; prevJmps: number; prevProcessed: number; liveStates: number }

/**
 * The counters belong to the whole verification (env->jmps_processed, prev_insn_processed,
 * explored_states): the walks of global functions (global-func.ts) go on from the main one's.
 */
const countersOf = new WeakMap<Env, Counters>();

/**
 * do_check(): walks every path from `initial`. Paths pushed by branches are explored depth
 * first; at level 1 the log of a finished path is discarded (only the failing path remains).
 * @throws Reject when a path is unsafe, E2BIG past `limit` processed instructions.
 */
export function doCheck(env: Env, initial: VerifierState, limit: number): WalkStats {
  const stats = env.stats;
  const log = env.log;
  const popLog = log.level < 2;
  const counters: Counters = countersOf.get(env) ?? { jmps: 0, prevJmps: 0, prevProcessed: 0, liveStates: 0 };
  countersOf.set(env, counters);
  env.state = initial;
  env.parent = undefined;
  initial.firstInsnIdx = initial.insnIdx;
  initial.lastInsnIdx = -1;
  env.doPrintState = false;
  let prevIdx = -1;
  env.scratchAll();

  const endPath = (): boolean => {
    env.scratchAll();
    counters.liveStates -= pathEnded(env.parent, (done) => env.prec.scc.exit(env, done));
    env.stackLive.update(env.state);
    const next = env.pending.pop();
    if (!next) return false;
    env.state = next.state;
    env.parent = next.parent;
    prevIdx = next.state.prevInsnIdx;
    if (popLog) log.reset(next.logPos);
    env.doPrintState = true;
    return true;
  };

  for (;;) {
    const st = env.state;
    const idx = st.insnIdx;
    env.insnIdx = idx;
    const insn = env.insnAt(idx) as Insn;
    if (++stats.processed > limit) env.reject(E2BIG, msg.tooLarge(stats.processed));
    env.prec.curHistEnt = false;
    env.prec.prevInsnIdx = prevIdx;
    st.lastInsnIdx = prevIdx;

    if (env.cfg.prunePoints[idx] && isStateVisited(env, idx, counters) === 'pruned') {
      if (log.enabled) {
        if (env.doPrintState) log.print(`\nfrom ${prevIdx} to ${idx}: safe`);
        else log.print(`${idx}: safe`);
      }
      if (!endPath()) break;
      continue;
    }
    if (env.prec.jmpPoints[idx]) pushInsnHistory(env, st);
    if (insnClass(insn.code) === BPF_JMP || insnClass(insn.code) === BPF_JMP32) counters.jmps++;

    if (log.level > 1 && env.doPrintState) {
      log.write(`\nfrom ${prevIdx} to ${idx}:`);
      log.print(frameStr(st, st.curframe));
      env.doPrintState = false;
    }
    if (log.enabled) {
      env.printInsnState(idx);
      log.insn(insn);
    }
    st.prevInsnIdx = idx;
    prevIdx = idx;
    env.seen[idx] = 1;

    env.stackLive.resetWrites(st, idx);
    const next = stepInsn(env, insn);
    env.stackLive.commitWrites();
    if (typeof next === 'number') {
      env.state.insnIdx = next;
      continue;
    }
    if (!endPath()) break;
  }
  return stats;
}

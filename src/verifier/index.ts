/**
 * @module verifier
 * The BPF verifier: proves a program safe the way the Linux kernel does (kernel/bpf/verifier.c,
 * v6.18) before anything runs it, with the kernel's decisions, messages and log format.
 * check_cfg (cfg.ts), the path walk (do-check.ts) of the main program and then of each global
 * function on its own (global-func.ts) over register and stack state (reg.ts,
 * state.ts, tnum.ts, bounds.ts), per-instruction checks (check-alu.ts, check-mem.ts,
 * check-jmp.ts, check-call.ts), pruning (prune.ts) and the log (log.ts, messages.ts).
 *
 * Imports isa/, btf/ (types), helpers/protos, uapi/ and util/ only: never maps, helper
 * implementations, the VM or the runtime. Reference: https://docs.kernel.org/bpf/verifier.html.
 * Works in node / browser.
 */
import { EINVAL } from '../uapi/errno.ts';
import { checkCfg } from './cfg.ts';
import { doCheck } from './do-check.ts';
import { checkFuncInfo, resolveLdImm64 } from './check-prog.ts';
import { Env, type WalkStats } from './env.ts';
import { verifyGlobalFuncs } from './global-func.ts';
import { computeScc, printLiveness } from './liveness.ts';
import { checkMaxStackDepth } from './stack-depth.ts';
import { VerifierError } from './error.ts';
import { Reject, VerifierLog } from './log.ts';
import { markRegPointer } from './reg.ts';
import { FuncState, VerifierState } from './state.ts';
import type { VerifierProgram, VerifierResult, VerifyOptions } from './types.ts';

export { VerifierError } from './error.ts';
export type {
  CallFact, CtxAccessFact, InsnFact, MapRef, VerifierFuncInfo, SubprogInfo, VerifierLineInfo, VerifierMap, VerifierProgram,
  VerifierResult, VerifyOptions,
} from './types.ts';

/** The kernel's BPF_COMPLEXITY_LIMIT_INSNS. */
export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;

/**
 * Verifies a program as the kernel would for root (bpf_capable, allow_ptr_leaks).
 * @throws {VerifierError} EACCES for an unsafe program, EINVAL for a malformed one, E2BIG when the
 *   path walk exceeds the complexity limit; `log` holds the kernel-format log, `insnIdx` the
 *   failing instruction.
 * Works in node / browser.
 */
export function verify(prog: VerifierProgram, options: VerifyOptions = {}): VerifierResult {
  const limit = options.insnLimit ?? BPF_COMPLEXITY_LIMIT_INSNS;
  const log = new VerifierLog(options.logLevel ?? 0, prog.lineInfo);
  let env: Env | undefined;
  let stats: WalkStats = { processed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0 };
  const printStats = (): void => {
    log.print(`processed ${stats.processed} insns (limit ${limit}) max_states_per_insn ${stats.maxStatesPerInsn} ` +
      `total_states ${stats.totalStates} peak_states ${stats.peakStates} mark_read 0`);
  };
  try {
    if (prog.insns.length === 0) throw new Reject(EINVAL, 'empty program');
    const cfg = checkCfg(prog.insns, prog.progType, log);
    env = new Env(prog, cfg, log);
    checkFuncInfo(env);
    resolveLdImm64(env);
    if (cfg.walkError) throw cfg.walkError;
    if (log.level > 1) printLiveness(log, cfg.bySlot, cfg.liveIn, computeScc(cfg.bySlot, cfg.slots));
    const main = FuncState.init(0, -1, 0);
    markRegPointer(main.reg(1), 'ctx');
    stats = doCheck(env, new VerifierState([main]), limit);
    // At level 1 the kernel keeps a log only for a program it refuses.
    if (log.level === 1) log.reset(0);
    const walkEnv = env;
    verifyGlobalFuncs(env, (initial) => { stats = doCheck(walkEnv, initial, limit); });
    checkMaxStackDepth(env);
    printStats();
    return {
      log: log.lines,
      processed: stats.processed,
      subprogs: cfg.subprogStarts.map((start, i) => ({ start, stackDepth: env?.stackDepth[i] ?? 0 })),
      facts: env.facts,
      totalStates: stats.totalStates,
      peakStates: stats.peakStates,
      maxStatesPerInsn: stats.maxStatesPerInsn,
      deadSlots: prog.insns.filter((i) => env?.seen[i.idx] !== 1).map((i) => i.idx),
    };
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    if (env) stats = env.stats;
    if (e.newline) log.print(e.message);
    else log.write(e.message);
    printStats();
    // The kernel hands the log back on failure even at level 0 (cilium reloads with level 1): its last message.
    const lines = log.enabled ? log.lines : e.message.split('\n');
    throw new VerifierError(prog.name, e.errno, lines, env?.insnIdx);
  }
}

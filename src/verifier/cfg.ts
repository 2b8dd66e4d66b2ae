/**
 * Control flow: subprogram boundaries, jump targets, reachability and the shape rules the kernel
 * checks before the path walk (add_subprog(), check_subprogs(), check_cfg(), kernel/bpf/verifier.c
 * v6.18), plus static register liveness used by pruning.
 */
import {
  BPF_CALL, BPF_EXIT, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD_IMM64, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  insnClass, insnOp, isJmpClass, type Insn,
} from '../isa/index.ts';
import { helperProto } from '../helpers/protos.ts';
import { EINVAL } from '../uapi/errno.ts';
import { computeLiveness } from './liveness.ts';
import { Reject, type VerifierLog } from './log.ts';
import * as msg from './messages.ts';

export interface Cfg {
  /** insns by slot index (undefined on the second slot of ld_imm64). */
  readonly bySlot: readonly (Insn | undefined)[];
  readonly slots: number;
  /** Sorted start slots of subprograms; subprogs[0] = 0. */
  readonly subprogStarts: readonly number[];
  /** Subprogram index of each slot. */
  readonly subprogOf: Int32Array;
  /** Slots where is_state_visited() runs: conditional jumps and jump targets, the insns after calls, callees. */
  readonly prunePoints: Uint8Array;
  /** Prune points where a state is always saved (calls that run a sync callback, may_goto). */
  readonly forceCheckpoints: Uint8Array;
  /** Calls of helpers that run a sync callback (bpf_calls_callback()). */
  readonly callsCallback: Uint8Array;
  /** Registers live into each slot: bit i set when Ri may be read before written. */
  readonly liveIn: Uint16Array;
  /** Subprograms used as callbacks (ld_imm64 BPF_PSEUDO_FUNC targets). */
  readonly callbackSubprogs: ReadonlySet<number>;
  /**
   * check_cfg()'s refusal (an unreachable instruction, a jump into an ld_imm64), which the kernel
   * only reaches after resolve_pseudo_ldimm64(): thrown by the caller after that pass.
   */
  readonly walkError?: Reject;
}

const isCall = (i: Insn): boolean => i.code === (BPF_JMP | BPF_CALL);
const isExit = (i: Insn): boolean => i.code === (BPF_JMP | BPF_EXIT);
const isJa = (i: Insn): boolean => (i.code === (BPF_JMP | BPF_JA) || i.code === (BPF_JMP32 | BPF_JA));

/** Target slot of a jump (`gotol` takes its offset from imm). */
export function jumpTarget(i: Insn): number {
  return i.idx + 1 + (i.code === (BPF_JMP32 | BPF_JA) ? i.imm : i.off);
}

/** Successor slots of an instruction inside its function (calls fall through). */
export function successors(i: Insn): number[] {
  const next = i.idx + (i.code === BPF_LD_IMM64 ? 2 : 1);
  if (isExit(i)) return [];
  const cls = insnClass(i.code);
  if (!isJmpClass(cls) || isCall(i)) return [next];
  if (isJa(i)) return [jumpTarget(i)];
  if (insnOp(i.code) === BPF_JCOND) return [next, jumpTarget(i)];
  return [next, jumpTarget(i)];
}

/**
 * add_subprog_and_kfunc + check_subprogs, then check_cfg and the static register liveness
 * (liveness.ts). At log level 2 prints `func#N @start` per subprogram, as the kernel does.
 * Throws Reject (EINVAL) with the kernel's message; check_cfg()'s is returned as `walkError`.
 */
export function checkCfg(insns: readonly Insn[], progType: number, log?: VerifierLog): Cfg {
  const last = insns[insns.length - 1];
  const slots = last === undefined ? 0 : last.idx + (last.code === BPF_LD_IMM64 ? 2 : 1);
  const bySlot: (Insn | undefined)[] = new Array<Insn | undefined>(slots).fill(undefined);
  for (const i of insns) bySlot[i.idx] = i;

  // add_subprog_and_kfunc(): add_subprog for every call target and every callback address, in
  // order; a kfunc call fails here (tsbpf models a kernel without vmlinux BTF).
  const starts = new Set<number>([0]);
  const callbacks = new Set<number>();
  for (const i of insns) {
    const pseudoCall = isCall(i) && i.src === BPF_PSEUDO_CALL;
    const pseudoFunc = i.code === BPF_LD_IMM64 && i.src === BPF_PSEUDO_FUNC;
    if (isCall(i) && i.src === BPF_PSEUDO_KFUNC_CALL) throw new Reject(EINVAL, msg.kfuncNotSupported());
    if (!pseudoCall && !pseudoFunc) continue;
    const t = i.idx + i.imm + 1;
    // A start inside an ld_imm64 passes here; check_subprogs() then finds the ld_imm64 ending a function.
    if (t < 0 || t >= slots) throw new Reject(EINVAL, msg.callToInvalidDest());
    starts.add(t);
    if (pseudoFunc) callbacks.add(t);
  }
  const subprogStarts = [...starts].sort((a, b) => a - b);
  if (log && log.level > 1) subprogStarts.forEach((st, k) => log.print(`func#${k} @${st}`));
  const subprogOf = new Int32Array(slots);
  subprogStarts.forEach((s, k) => {
    const end = subprogStarts[k + 1] ?? slots;
    for (let x = s; x < end; x++) subprogOf[x] = k;
  });

  // check_subprogs(): slot by slot (the second half of an ld_imm64 is an opcode-0 slot), jumps
  // stay inside their function and each function ends in exit or an unconditional jump.
  subprogStarts.forEach((s, k) => {
    const end = subprogStarts[k + 1] ?? slots;
    for (let x = s; x < end; x++) {
      const i = bySlot[x];
      const op = i === undefined ? 0 : insnOp(i.code);
      if (i !== undefined && isJmpClass(insnClass(i.code)) && op !== BPF_CALL && op !== BPF_EXIT) {
        const t = jumpTarget(i);
        if (t < s || t >= end) throw new Reject(EINVAL, msg.jumpOutOfRange(x, t));
      }
      if (x === end - 1 && (i === undefined || (!isExit(i) && !isJa(i)))) throw new Reject(EINVAL, msg.lastInsnNotExit());
    }
  });
  try {
    return { ...walk(bySlot, slots, subprogStarts, subprogOf, progType), callbackSubprogs: new Set([...callbacks].map((t) => subprogOf[t] as number)) };
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    const none = new Uint8Array(slots);
    return {
      bySlot, slots, subprogStarts, subprogOf, prunePoints: none, forceCheckpoints: none, callsCallback: none,
      liveIn: new Uint16Array(slots), callbackSubprogs: new Set(), walkError: e,
    };
  }
}

/** check_cfg(): the depth-first walk (prune points, reachability), then register liveness. */
function walk(bySlot: readonly (Insn | undefined)[], slots: number, subprogStarts: readonly number[], subprogOf: Int32Array,
  progType: number): Omit<Cfg, 'callbackSubprogs'> {
  // Depth-first walk from the entry and from every function reached by calls or addresses,
  // marking prune points as visit_insn() does.
  const seen = new Uint8Array(slots);
  const prunePoints = new Uint8Array(slots);
  const forceCheckpoints = new Uint8Array(slots);
  const callsCallback = new Uint8Array(slots);
  const stack: number[] = [0];
  seen[0] = 1;
  const visit = (t: number): void => {
    if (bySlot[t] === undefined) throw new Reject(EINVAL, msg.jumpIntoLdImm64(t - 1));
    if (!seen[t]) { seen[t] = 1; stack.push(t); }
  };
  while (stack.length > 0) {
    const x = stack.pop() as number;
    const i = bySlot[x] as Insn;
    const next = x + (i.code === BPF_LD_IMM64 ? 2 : 1);
    const pseudoFunc = i.code === BPF_LD_IMM64 && i.src === BPF_PSEUDO_FUNC;
    if (!isJmpClass(insnClass(i.code)) && !pseudoFunc) { visit(next); continue; }
    if (isExit(i)) continue;
    if (isCall(i) || pseudoFunc) {
      const proto = isCall(i) && i.src === 0 ? helperProto(i.imm) : undefined;
      if (proto?.callback === 'async') prunePoints[x] = 1;
      if (proto?.callback === 'sync') { callsCallback[x] = 1; forceCheckpoints[x] = 1; prunePoints[x] = 1; }
      visit(next);
      prunePoints[next] = 1;
      if (pseudoFunc || i.src === BPF_PSEUDO_CALL) {
        const w = x + i.imm + 1;
        prunePoints[x] = 1;
        visit(w);
        prunePoints[w] = 1;
      }
      continue;
    }
    if (isJa(i)) {
      visit(jumpTarget(i));
      prunePoints[jumpTarget(i)] = 1;
      continue;
    }
    prunePoints[x] = 1;
    if (insnOp(i.code) === BPF_JCOND) forceCheckpoints[x] = 1;
    visit(next);
    visit(jumpTarget(i));
    prunePoints[jumpTarget(i)] = 1;
  }
  for (let x = 0; x < slots; x++) {
    if (bySlot[x] !== undefined && !seen[x]) throw new Reject(EINVAL, msg.unreachableInsn(x));
  }
  const liveIn = computeLiveness(bySlot, slots, progType);
  return { bySlot, slots, subprogStarts, subprogOf, prunePoints, forceCheckpoints, callsCallback, liveIn };
}

export { isCall, isExit, isJa };

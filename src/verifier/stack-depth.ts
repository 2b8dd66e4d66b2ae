/**
 * The combined stack limit: check_max_stack_depth(), kernel/bpf/verifier.c (v6.18), run after
 * the path walk. Every chain of bpf-to-bpf calls (and sync callbacks, which run on their caller's
 * stack) from the main program must fit in 512 bytes; each async callback is a root of its own,
 * so a timer callback's frames are not added to the program that registered it, unless it is
 * also called directly (bpf-timer.md §6.5). Tracing programs give subprograms of 64 bytes or
 * more a private stack (the x86-64 JIT supports it), which the limit then does not count.
 */
import { BPF_CALL, BPF_JMP, BPF_LD_IMM64, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, MAX_CALL_FRAMES, type Insn } from '../isa/index.ts';
import {
  BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_TRACEPOINT,
} from '../uapi/bpf.ts';
import { E2BIG, EACCES } from '../uapi/errno.ts';
import { BPF_FUNC_tail_call } from '../uapi/helpers.ts';
import type { Env } from './env.ts';
import * as msg from './messages.ts';

const MAX_BPF_STACK = 512;
const BPF_PRIV_STACK_MIN_SIZE = 64;

type PrivStack = 'unknown' | 'none' | 'adaptive';

/** round_up_stack_depth() with the JIT on: the kernel JITs every program here. */
const roundUp = (depth: number): number => Math.ceil(Math.ceil(depth / 8) * 8 / 16) * 16;

function isTracing(progType: number): boolean {
  return progType === BPF_PROG_TYPE_KPROBE || progType === BPF_PROG_TYPE_TRACEPOINT ||
    progType === BPF_PROG_TYPE_PERF_EVENT || progType === BPF_PROG_TYPE_RAW_TRACEPOINT;
}

const isPseudoCall = (i: Insn): boolean => i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_CALL;
const isPseudoFunc = (i: Insn): boolean => i.code === BPF_LD_IMM64 && i.src === BPF_PSEUDO_FUNC;
const isTailCall = (i: Insn): boolean => i.code === (BPF_JMP | BPF_CALL) && i.src === 0 && i.imm === BPF_FUNC_tail_call;

/**
 * check_max_stack_depth(): walks the call graph from the main program and from each async
 * callback, in reverse subprogram order as the kernel does.
 * @throws Reject EACCES when a chain is deeper than 512 bytes.
 */
export function checkMaxStackDepth(env: Env): void {
  const starts = env.cfg.subprogStarts;
  const n = starts.length;
  const subprogInsns = (k: number): Insn[] => {
    const out: Insn[] = [];
    for (let x = starts[k] as number; x < (starts[k + 1] ?? env.cfg.slots); x++) {
      const i = env.cfg.bySlot[x];
      if (i) out.push(i);
    }
    return out;
  };
  const hasTailCall = Array.from({ length: n }, (_, k) => subprogInsns(k).some(isTailCall));
  const mode: PrivStack[] = Array.from({ length: n }, () => 'unknown');
  const adaptive = !hasTailCall.some(Boolean) && isTracing(env.prog.progType);
  for (let k = n - 1; k >= 0; k--) {
    if (k === 0 || env.asyncCallbacks.has(k)) walk(k, k === 0 && adaptive);
  }

  function walk(root: number, privSupported: boolean): void {
    // An explicit stack of (subprog, next insn index within it), as the kernel's ret_insn/ret_prog.
    const frames: { sub: number; insns: Insn[]; at: number }[] = [];
    let depth = 0;
    const enter = (sub: number): void => {
      if (sub > 0 && hasTailCall[sub] && depth >= 256) env.reject(EACCES, msg.tailCallStackTooLarge(depth));
      if (!privSupported) mode[sub] = 'none';
      const own = roundUp(env.stackDepth[sub] ?? 0);
      if (privSupported && own >= BPF_PRIV_STACK_MIN_SIZE && mode[sub] === 'unknown') mode[sub] = 'adaptive';
      if (mode[sub] !== 'adaptive') {
        depth += own;
        if (depth > MAX_BPF_STACK) env.reject(EACCES, msg.combinedStackTooLarge(frames.length + 1, depth));
      }
      frames.push({ sub, insns: subprogInsns(sub), at: 0 });
    };
    enter(root);
    while (frames.length > 0) {
      const top = frames[frames.length - 1] as (typeof frames)[number];
      let called = false;
      while (top.at < top.insns.length) {
        const i = top.insns[top.at++] as Insn;
        if (!isPseudoCall(i) && !isPseudoFunc(i)) continue;
        const callee = env.cfg.subprogOf[i.idx + i.imm + 1] as number;
        // Async callbacks don't grow the stack of whoever registers them, only of direct callers.
        if (env.asyncCallbacks.has(callee) && !isPseudoCall(i)) continue;
        if (frames.length >= MAX_CALL_FRAMES) env.reject(E2BIG, msg.callStackTooDeepStatic(frames.length));
        enter(callee);
        called = true;
        break;
      }
      if (called) continue;
      frames.pop();
      if (mode[top.sub] !== 'adaptive' && frames.length > 0) depth -= roundUp(env.stackDepth[top.sub] ?? 0);
    }
  }
}

/**
 * bpf_tail_call (the kernel's BPF_JMP | BPF_TAIL_CALL, ___bpf_prog_run in kernel/bpf/core.c):
 * jump into the program in slot `index` of a prog array, which replaces the caller and never
 * returns to it. A failed tail call (index out of range, empty slot, more than MAX_TAIL_CALL_CNT
 * tail calls in this run) falls through to the next instruction.
 *
 * The jump is a {@link TailCall} thrown through the engine: the runtime catches it at the run loop
 * and starts the target with the same context. The engine's frames unwind (their stacks are
 * released by the engine's own cleanup). A tail call from a subprogram therefore also replaces
 * the callers' frames, which is what the kernel does for programs without bpf-to-bpf calls; mixed
 * with subprogram calls the kernel's JITs return into the caller instead (documented difference).
 * Works in node / browser.
 */
import type { HelperFn } from '../../vm/abi.ts';
import { BPF_MAP_TYPE_PROG_ARRAY } from '../../uapi/bpf.ts';
import { mapArg } from './map.ts';
import type { RunBinding, TailCallTarget } from './run-state.ts';

/** The kernel's limit on tail calls in one run (include/linux/bpf.h MAX_TAIL_CALL_CNT). */
export const MAX_TAIL_CALL_CNT = 33;

/** Thrown by bpf_tail_call on success; the runtime runs `target` with `ctx`. Not an error. */
export class TailCall {
  readonly target: TailCallTarget;
  readonly ctx: bigint;
  constructor(target: TailCallTarget, ctx: bigint) {
    this.target = target;
    this.ctx = ctx;
  }
}

/** bpf_tail_call(ctx, prog_array, index). */
export function tailCallHelper(binding: RunBinding): HelperFn {
  return (env, ctx, mapPtr, index) => {
    const map = mapArg(binding, mapPtr, env.insnIdx);
    if (map.type !== BPF_MAP_TYPE_PROG_ARRAY) return 0n;
    const i = index & 0xffff_ffffn;
    if (i >= BigInt(map.maxEntries)) return 0n;
    const state = binding.run();
    if (state.tailCalls >= MAX_TAIL_CALL_CNT) return 0n;
    const target = binding.progArraySlot(map, Number(i));
    if (target === undefined) return 0n;
    state.tailCalls++;
    throw new TailCall(target, ctx);
  };
}

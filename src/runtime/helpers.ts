/**
 * The helper table of a loaded program: the runtime-independent helpers (time, randomness,
 * identity, printing, checksums) plus the ones bound to the runtime (maps, callbacks, tail calls,
 * spin locks, timers) and those that depend on the program type (XDP buffer adjustment, redirect).
 * A program calling anything else is refused at load, naming the helper. Works in node / browser.
 */
import type { HelperFn } from '../vm/abi.ts';
import type { Insn } from '../isa/insn.ts';
import { BPF_CALL, BPF_HELPER_CALL, BPF_JMP, BPF_K } from '../isa/opcodes.ts';
import { baseHelpers } from '../helpers/impl/index.ts';
import { callbackHelpers } from '../helpers/impl/callbacks.ts';
import { mapHelpers } from '../helpers/impl/map.ts';
import { ringbufHelpers } from '../helpers/impl/ringbuf.ts';
import { spinLockHelpers } from '../helpers/impl/spin-lock.ts';
import { timerHelpers } from '../helpers/impl/timer.ts';
import { tailCallHelper } from '../helpers/impl/tail-call.ts';
import { redirectHelpers, xdpHelpers } from '../helpers/impl/xdp.ts';
import {
  BPF_FUNC_for_each_map_elem, BPF_FUNC_loop, BPF_FUNC_map_delete_elem, BPF_FUNC_map_lookup_elem,
  BPF_FUNC_map_lookup_percpu_elem, BPF_FUNC_map_peek_elem, BPF_FUNC_map_pop_elem, BPF_FUNC_map_push_elem,
  BPF_FUNC_map_update_elem, BPF_FUNC_redirect, BPF_FUNC_ringbuf_discard, BPF_FUNC_ringbuf_output,
  BPF_FUNC_ringbuf_query, BPF_FUNC_ringbuf_reserve, BPF_FUNC_ringbuf_submit, BPF_FUNC_redirect_map, BPF_FUNC_spin_lock, BPF_FUNC_spin_unlock,
  BPF_FUNC_tail_call, BPF_FUNC_timer_cancel, BPF_FUNC_timer_init, BPF_FUNC_timer_set_callback, BPF_FUNC_timer_start,
  BPF_FUNC_xdp_adjust_head, BPF_FUNC_xdp_adjust_meta, BPF_FUNC_xdp_adjust_tail, BPF_FUNC_xdp_get_buff_len,
  BPF_FUNC_xdp_load_bytes, BPF_FUNC_xdp_store_bytes, helperName,
} from '../uapi/helpers.ts';
import { BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_XDP } from '../uapi/bpf.ts';
import { POISON_CALL_IMM } from '../loader/core-relo.ts';
import { BpfError, InternalError } from '../util/errors.ts';
import { EINVAL } from '../uapi/errno.ts';
import type { LoadedProgram } from './program.ts';
import type { Runtime } from './runtime.ts';

/**
 * The helpers a program of type `progType` may call in `runtime`, by id. `prog` returns the
 * program the table belongs to (built after its engine, hence a function): bpf_timer_set_callback
 * makes the timer hold a reference on it. Tables built without one (raw engines in benchmarks)
 * stop a program calling bpf_timer_set_callback with an InternalError.
 */
export function helperTable(runtime: Runtime, progType: number, prog: () => LoadedProgram = noProgram): Map<number, HelperFn> {
  const table = baseHelpers(runtime.helperContext);
  const b = runtime.binding;
  const maps = mapHelpers(b);
  const cbs = callbackHelpers(b);
  const locks = spinLockHelpers();
  const rb = ringbufHelpers(b);
  const timer = timerHelpers(b, { timers: runtime.timers.timers, timerMaps: () => runtime.timers.timerMaps(), prog });
  const entries: [number, HelperFn][] = [
    [BPF_FUNC_map_lookup_elem, maps.lookup],
    [BPF_FUNC_map_update_elem, maps.update],
    [BPF_FUNC_map_delete_elem, maps.delete],
    [BPF_FUNC_map_push_elem, maps.push],
    [BPF_FUNC_map_pop_elem, maps.pop],
    [BPF_FUNC_map_peek_elem, maps.peek],
    [BPF_FUNC_map_lookup_percpu_elem, maps.lookupPercpu],
    [BPF_FUNC_loop, cbs.loop],
    [BPF_FUNC_for_each_map_elem, cbs.forEachMapElem],
    [BPF_FUNC_tail_call, tailCallHelper(b)],
    [BPF_FUNC_ringbuf_output, rb.output],
    [BPF_FUNC_ringbuf_reserve, rb.reserve],
    [BPF_FUNC_ringbuf_submit, rb.submit],
    [BPF_FUNC_ringbuf_discard, rb.discard],
    [BPF_FUNC_ringbuf_query, rb.query],
    [BPF_FUNC_spin_lock, locks.lock],
    [BPF_FUNC_spin_unlock, locks.unlock],
    [BPF_FUNC_timer_init, timer.init],
    [BPF_FUNC_timer_set_callback, timer.setCallback],
    [BPF_FUNC_timer_start, progType === BPF_PROG_TYPE_SYSCALL ? startInterruptible(runtime, timer.start) : timer.start],
    [BPF_FUNC_timer_cancel, timer.cancel],
  ];
  const redirect = redirectHelpers(b);
  if (progType === BPF_PROG_TYPE_XDP) {
    const xdp = xdpHelpers(b);
    entries.push(
      [BPF_FUNC_xdp_adjust_head, xdp.adjustHead],
      [BPF_FUNC_xdp_adjust_tail, xdp.adjustTail],
      [BPF_FUNC_xdp_adjust_meta, xdp.adjustMeta],
      [BPF_FUNC_xdp_get_buff_len, xdp.getBuffLen],
      [BPF_FUNC_xdp_load_bytes, xdp.loadBytes],
      [BPF_FUNC_xdp_store_bytes, xdp.storeBytes],
      [BPF_FUNC_redirect, redirect.xdpRedirect],
      [BPF_FUNC_redirect_map, redirect.redirectMap],
    );
  } else if (progType === BPF_PROG_TYPE_SCHED_CLS || progType === BPF_PROG_TYPE_SCHED_ACT) {
    entries.push([BPF_FUNC_redirect, redirect.tcRedirect]);
  }
  for (const [id, fn] of entries) table.set(id, fn);
  return table;
}

/** bpf_timer_start in a program the timer softirq may interrupt (see Runtime.interruptWithDueTimers). */
function startInterruptible(runtime: Runtime, start: HelperFn): HelperFn {
  // Fixed parameters: no rest array and spread per call (this runs once per timer armed).
  return (env, a, b, c, d, e) => {
    const r = start(env, a, b, c, d, e);
    if (r === 0n) runtime.interruptWithDueTimers();
    return r;
  };
}

function noProgram(): never {
  throw new InternalError('bpf_timer_set_callback from a helper table built without its program');
}

/**
 * Refuses a program that calls a helper missing from `table`, naming it as the kernel names
 * helpers (`bpf_skb_store_bytes#9`). Calls poisoned by failed CO-RE relocations are left to the
 * verifier (they are refused only when reachable).
 * @throws {BpfError} EINVAL `program NAME: helper bpf_X#N is not supported by tsbpf (insn I)`.
 */
export function checkHelpers(progName: string, insns: readonly Insn[], table: ReadonlyMap<number, HelperFn>): void {
  for (const insn of insns) {
    if (insn.code !== (BPF_JMP | BPF_CALL | BPF_K) || insn.src !== BPF_HELPER_CALL) continue;
    if (insn.imm === POISON_CALL_IMM || table.has(insn.imm)) continue;
    const name = helperName(insn.imm);
    const what = name === undefined ? `unknown#${insn.imm}` : `bpf_${name}#${insn.imm}`;
    throw new BpfError(EINVAL, `program ${progName}: helper ${what} is not supported by tsbpf (insn ${insn.idx})`);
  }
}

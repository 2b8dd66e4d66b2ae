/**
 * Callbacks run by helpers: push_callback_call() and the set_*_callback_state() functions,
 * kernel/bpf/verifier.c (v6.18).
 *
 * Sync callbacks (bpf_loop, bpf_for_each_map_elem, bpf_find_vma, bpf_user_ringbuf_drain) are
 * verified in the caller's context: a state with a new frame for the callback is pushed, and the
 * callback returns to the helper call, which pushes the next iteration until the states
 * converge (or bpf_loop's count runs out). The caller continues after the call meanwhile.
 * Async callbacks (bpf_timer_set_callback) are verified as programs of their own: a fresh state
 * whose frame 0 is the callback with R1 = map, R2 = key, R3 = value and return value 0
 * (bpf-timer.md §6.4); their stack is counted on their own chain (stack-depth.ts).
 */
import type { Insn } from '../isa/index.ts';
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH,
} from '../uapi/bpf.ts';
import { ENOTSUPP } from '../uapi/errno.ts';
import * as F from '../uapi/helpers.ts';
import type { CallMeta } from './check-call.ts';
import type { Env } from './env.ts';
import { setupFuncEntry, type SetCalleeState } from './func-call.ts';
import * as msg from './messages.ts';
import { markRegNotInit, markRegPointer, markRegUnknown, type RegState } from './reg.ts';
import { FuncState, VerifierState } from './state.ts';
import type { VerifierMap } from './types.ts';

/** Map types whose ops implement map_set_for_each_callback_args (hash and array flavours). */
const FOR_EACH_MAPS = new Set([
  BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH,
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY,
]);

function mapPointer(r: RegState, type: 'map_ptr' | 'map_key' | 'map_value', map: VerifierMap | undefined): void {
  markRegPointer(r, type);
  r.map = map;
}

/** set_loop_callback_state(): callback(u64 index, void *ctx). */
const loopState: SetCalleeState = (caller, callee) => {
  markRegUnknown(callee.reg(1));
  callee.reg(2).copyFrom(caller.reg(3));
  for (const r of [3, 4, 5]) markRegNotInit(callee.reg(r));
};

/** map_set_for_each_callback_args(): callback(map, key, value, ctx). */
const mapElemState: SetCalleeState = (caller, callee) => {
  const map = caller.reg(1).map;
  callee.reg(1).copyFrom(caller.reg(1));
  mapPointer(callee.reg(2), 'map_key', map);
  mapPointer(callee.reg(3), 'map_value', map);
  callee.reg(4).copyFrom(caller.reg(3));
  markRegNotInit(callee.reg(5));
};

/** set_find_vma_callback_state(): callback(task, vma, ctx). */
const findVmaState: SetCalleeState = (caller, callee) => {
  callee.reg(1).copyFrom(caller.reg(1));
  markRegPointer(callee.reg(2), 'btf_id');
  callee.reg(2).btfName = 'vm_area_struct';
  callee.reg(3).copyFrom(caller.reg(4));
  for (const r of [4, 5]) markRegNotInit(callee.reg(r));
};

/** set_user_ringbuf_callback_state(): callback(const struct bpf_dynptr *dynptr, void *ctx). */
const userRingbufState = (env: Env): SetCalleeState => (caller, callee) => {
  markRegNotInit(callee.reg(0));
  markRegPointer(callee.reg(1), 'dynptr');
  callee.reg(1).btfName = 'local';
  callee.reg(1).id = env.newId();
  callee.reg(2).copyFrom(caller.reg(3));
  for (const r of [3, 4, 5]) markRegNotInit(callee.reg(r));
};

/** set_timer_callback_state(): callback(map, key, value), all of the timer's map. */
function timerState(caller: FuncState, callee: FuncState): void {
  const map = caller.reg(1).map;
  mapPointer(callee.reg(1), 'map_ptr', map);
  mapPointer(callee.reg(2), 'map_key', map);
  mapPointer(callee.reg(3), 'map_value', map);
  for (const r of [4, 5]) markRegNotInit(callee.reg(r));
  callee.callback = 'async';
  callee.callbackRet = [0n, 0n];
}

/** push_callback_call(): schedule the callback of the helper call `insn` for verification. */
export function pushCallbackCall(env: Env, insn: Insn, meta: CallMeta): void {
  const subprog = meta.callbackSubprog as number;
  const start = env.cfg.subprogStarts[subprog] as number;
  const caller = env.state.cur;
  env.callbacks.add(subprog);
  if (insn.imm === F.BPF_FUNC_timer_set_callback) {
    env.asyncCallbacks.add(subprog);
    const frame = FuncState.init(0, -1, subprog);
    frame.asyncEntryCnt = caller.asyncEntryCnt + 1;
    timerState(caller, frame);
    env.pushState(new VerifierState([frame]), start, insn.idx, true);
    env.scratchAll();
    return;
  }
  let set: SetCalleeState;
  switch (insn.imm) {
    case F.BPF_FUNC_loop: set = loopState; break;
    case F.BPF_FUNC_find_vma: set = findVmaState; break;
    case F.BPF_FUNC_user_ringbuf_drain: set = userRingbufState(env); break;
    default: set = mapElemState; break;
  }
  const st = env.state.clone();
  const callee = setupFuncEntry(env, st, subprog, insn.idx, (c, f) => {
    if (insn.imm === F.BPF_FUNC_for_each_map_elem && !FOR_EACH_MAPS.has(meta.map?.type ?? -1)) {
      env.reject(ENOTSUPP, msg.callbackNotAllowedForMap());
    }
    set(c, f);
  });
  callee.callback = 'sync';
  callee.callbackRet = [0n, 1n];
  st.callbackUnrollDepth++;
  (st.frames[st.curframe - 1] as FuncState).callbackDepth++;
  caller.callbackDepth = 0;
  env.pushState(st, start, insn.idx);
}

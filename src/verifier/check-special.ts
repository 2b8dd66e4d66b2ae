/**
 * The special fields of map values and the resources a program holds: bpf_spin_lock arguments
 * (process_spin_lock()), bpf_timer arguments (process_timer_func(), bpf-timer.md §6.1) and the
 * checks that nothing is held where a program may stop (check_resource_leak()),
 * kernel/bpf/verifier.c (v6.18).
 */
import { EINVAL } from '../uapi/errno.ts';
import type { Env } from './env.ts';
import * as msg from './messages.ts';
import type { VerifierMap } from './types.ts';
import { tnumIsConst } from './tnum.ts';

/**
 * process_spin_lock(): R`regno` must point exactly at the map value's bpf_spin_lock; a lock is
 * a reference held until unlocked through a pointer with the same id into the same map.
 */
export function processSpinLock(env: Env, regno: number, lock: boolean): void {
  const reg = env.reg(regno);
  if (!tnumIsConst(reg.varOff)) env.reject(EINVAL, msg.lockNeedsConstOff(regno));
  const map = reg.map as VerifierMap;
  if (!map.hasBtf) env.reject(EINVAL, msg.noBtfForLock(map.name));
  const lockOff = map.record?.spinLockOff ?? -1;
  if (lockOff < 0) env.reject(EINVAL, msg.lockNoSpinLock(map.name));
  const off = BigInt.asIntN(64, reg.varOff.value + BigInt(reg.off));
  if (off !== BigInt(lockOff)) env.reject(EINVAL, msg.lockOffMismatch(off, lockOff));
  const st = env.state;
  if (lock) {
    if (st.activeLocks > 0) env.reject(EINVAL, msg.lockTwice());
    st.refs.push({ id: reg.id, insnIdx: env.insnIdx, kind: 'lock', ptr: map });
    return;
  }
  if (st.activeLocks === 0) env.reject(EINVAL, msg.unlockWithoutLock());
  const k = st.refs.findIndex((r) => r.kind === 'lock' && r.id === reg.id && r.ptr === map);
  if (k < 0) env.reject(EINVAL, msg.unlockMismatch());
  const active = st.activeLock;
  if (active && (active.id !== reg.id || active.ptr !== map)) env.reject(EINVAL, msg.unlockOutOfOrder());
  st.refs.splice(k, 1);
}

/**
 * process_timer_func(): R`regno` must point exactly at the bpf_timer of a map value from a map
 * with BTF. Returns the map and its instance (map_uid) for the map-argument check.
 */
export function processTimerFunc(env: Env, regno: number): { map: VerifierMap; mapUid: number } {
  const reg = env.reg(regno);
  if (!tnumIsConst(reg.varOff)) env.reject(EINVAL, msg.timerNeedsConstOff(regno));
  const map = reg.map as VerifierMap;
  if (!map.hasBtf) env.reject(EINVAL, msg.noBtfForTimer(map.name));
  const timerOff = map.record?.timerOff ?? -1;
  if (timerOff < 0) env.reject(EINVAL, msg.mapHasNoTimer(map.name));
  const off = BigInt.asIntN(64, reg.varOff.value + BigInt(reg.off));
  if (off !== BigInt(timerOff)) env.reject(EINVAL, msg.timerOffMismatch(off, timerOff));
  return { map, mapUid: reg.mapUid };
}

/**
 * check_resource_leak(): `prefix` (BPF_EXIT instruction in main prog, tail_call,
 * BPF_LD_[ABS|IND]) may not happen with a lock held, nor, in the outermost frame, with a
 * reference not released.
 */
export function checkResourceLeak(env: Env, prefix: string): void {
  const st = env.state;
  if (st.activeLocks > 0) env.reject(EINVAL, msg.usedInsideLock(prefix));
  if (st.cur.frameno !== 0) return;
  const leaks = st.refs.filter((r) => r.kind === 'ptr');
  if (leaks.length === 0) return;
  for (const r of leaks.slice(0, -1)) env.log.print(msg.unreleasedRef(r.id, r.insnIdx));
  const last = leaks[leaks.length - 1] as { id: number; insnIdx: number };
  env.reject(EINVAL, `${msg.unreleasedRef(last.id, last.insnIdx)}\n${msg.wouldLeak(prefix)}`);
}

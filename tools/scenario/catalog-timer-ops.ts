/**
 * @module tools/scenario/catalog-timer-ops
 * Timer scenarios driven by testdata/scenarios/timer_ops.bpf.c: the syscall program `op` performs
 * one operation per run on arr[key] (map 0) or hash[key] (map 1); callbacks record into `obs`.
 */
import { MS, del, dump, lookup, release, run, sleep, u32, u64, update, zeros, type ScenarioDef } from './define.ts';
import type { ScenarioStep } from './format.ts';

const OBJ = 'timer_ops.bpf.o';
export const ARR = 0;
export const HASH = 1;
const MONO = 1;

/** Callback ids of timer_ops.bpf.c. */
export const CB = { count: 1, other: 2, selfCancel: 3, selfInit: 4, rearm3: 5, switchCb: 6, delSelf: 7, cancelOther: 8, selfReg: 9, updSelf: 10 } as const;

function cmd(op: number, map: number, key: number, cb = 0, a: number | bigint = 0, b: number | bigint = 0, prog = 'op'): ScenarioStep {
  return run(prog, u32(op) + u32(map) + u32(key) + u32(cb) + u64(a) + u64(b));
}
export const init = (m: number, k: number, flags: number | bigint = MONO) => cmd(1, m, k, 0, flags);
export const setCb = (m: number, k: number, cb: number, prog = 'op') => cmd(2, m, k, cb, 0, 0, prog);
export const start = (m: number, k: number, ns: number | bigint, flags: number | bigint = 0) => cmd(3, m, k, 0, ns, flags);
export const cancel = (m: number, k: number) => cmd(4, m, k);
const startMono = (m: number, k: number, delta: number | bigint, flags: number) => cmd(5, m, k, 0, delta, flags);
const startBoot = (m: number, k: number, delta: number | bigint, flags: number) => cmd(6, m, k, 0, delta, flags);
const startTai = (m: number, k: number, delta: number | bigint, flags: number) => cmd(7, m, k, 0, delta, flags);
const bpfUpdate = (m: number, k: number, data: number, flags = 0) => cmd(8, m, k, 0, data, flags);
const bpfDelete = (m: number, k: number) => cmd(9, m, k);
const get = (m: number, k: number) => cmd(10, m, k);
const set = (m: number, k: number, data: number) => cmd(11, m, k, 0, data);
const stale = (m: number, k: number) => cmd(12, m, k);
/** init (monotonic), set callback `cb`, start in `ns`. */
const arm = (m: number, k: number, cb: number, ns: number): ScenarioStep[] => [init(m, k), setCb(m, k, cb), start(m, k, ns)];
/** struct elem { u64 data; struct bpf_timer t; } */
const elem = (data: number, timerBytes = zeros(16)): string => u64(data) + timerBytes;
const hashPut = (k: number, data: number, flags?: number) => update('hash', u32(k), elem(data), flags);
const ABS = 1;
const S64_MIN = 1n << 63n;

const def = (name: string, covers: string[], description: string, steps: ScenarioStep[]): ScenarioDef => ({ name, object: OBJ, covers, description, steps });

export const timerOpsScenarios: readonly ScenarioDef[] = [
  def('timer_b1_init_after_release', ['B1'], 'After the array map is released, bpf_timer_init on it returns -EPERM; the hash map, not released, still accepts init.',
    [release('arr'), init(ARR, 0), hashPut(1, 0), init(HASH, 1)]),
  def('timer_b2_init_twice', ['B2'], 'A second bpf_timer_init on an initialised timer returns -EBUSY (array and hash).',
    [init(ARR, 0), init(ARR, 0), hashPut(2, 0), init(HASH, 2), init(HASH, 2)]),
  def('timer_b3_init_flags_ge_16', ['B3'], 'bpf_timer_init with flags 16, 17 and 1<<32|1 returns -EINVAL and leaves the timer uninitialised (init with 1 then succeeds).',
    [init(ARR, 0, 16), init(ARR, 0, 17), init(ARR, 0, (1n << 32n) | 1n), init(ARR, 0, 1)]),
  def('timer_b4_clock_ids', ['B4'], 'bpf_timer_init accepts clocks 0, 1 and 7 and refuses 2, 4, 8, 9, 11 and 15 with -EINVAL.',
    [init(ARR, 0, 0), init(ARR, 1, 1), init(ARR, 2, 7), ...[2, 4, 8, 9, 11, 15].map((c) => init(ARR, 3, c)), init(ARR, 3, 1)]),
  def('timer_b5_flags_checked_before_busy', ['B5'], 'On an initialised timer a bad clock or flags >= 16 gives -EINVAL, not -EBUSY; a good clock gives -EBUSY.',
    [init(ARR, 0, 1), init(ARR, 0, 2), init(ARR, 0, 16), init(ARR, 0, 7), init(ARR, 0, 1)]),
  def('timer_b6_uninitialised', ['B6'], 'set_callback, start and cancel on a never-initialised timer return -EINVAL (array and hash).',
    [setCb(ARR, 0, CB.count), start(ARR, 0, 5 * MS), cancel(ARR, 0), hashPut(3, 0), setCb(HASH, 3, CB.count), start(HASH, 3, 5 * MS), cancel(HASH, 3), sleep(), dump('obs')]),
  def('timer_b7_start_without_callback', ['B7'], 'bpf_timer_start on an initialised timer without a callback returns -EINVAL; nothing fires.',
    [init(ARR, 0), start(ARR, 0, 5 * MS), sleep(), dump('obs')]),
  def('timer_b8_start_bad_flags', ['B8'], 'bpf_timer_start with flags 4, 8 or 1<<32 returns -EINVAL and does not arm; flags 0 then arms and the callback runs once.',
    [...arm(ARR, 0, CB.count, 5 * MS).slice(0, 2), start(ARR, 0, 5 * MS, 4), start(ARR, 0, 5 * MS, 8), start(ARR, 0, 5 * MS, 1n << 32n), sleep(), dump('obs'), start(ARR, 0, 5 * MS, 0), sleep(), dump('obs')]),
  def('timer_b9_cancel_never_started', ['B9'], 'bpf_timer_cancel on an initialised, never-started timer returns 0, with and without a callback.',
    [init(ARR, 0), cancel(ARR, 0), init(ARR, 1), setCb(ARR, 1, CB.count), cancel(ARR, 1)]),
  def('timer_b10_cancel_pending', ['B10'], 'bpf_timer_cancel on a pending timer returns 1 and its callback never runs.',
    [...arm(ARR, 0, CB.count, 10 * MS), cancel(ARR, 0), sleep(), dump('obs')]),
  def('timer_b11_cancel_twice', ['B11'], 'A second bpf_timer_cancel right after a successful one returns 0.',
    [...arm(ARR, 0, CB.count, 10 * MS), cancel(ARR, 0), cancel(ARR, 0), sleep(), dump('obs')]),
  def('timer_b12_start_after_cancel', ['B12'], 'After cancel, start returns -EINVAL (cancel cleared the callback) until set_callback is called again; then start returns 0 and the callback runs.',
    [...arm(ARR, 0, CB.count, 10 * MS), cancel(ARR, 0), start(ARR, 0, 5 * MS), sleep(), dump('obs'), setCb(ARR, 0, CB.count), start(ARR, 0, 5 * MS), sleep(), dump('obs')]),
  def('timer_b13_cancel_from_own_callback', ['B13'], 'bpf_timer_cancel from the timer\'s own callback returns -EDEADLK and changes nothing: a later start without set_callback still fires the callback.',
    [...arm(ARR, 1, CB.selfCancel, 5 * MS), sleep(), dump('obs'), start(ARR, 1, 5 * MS), sleep(), dump('obs')]),
  def('timer_b14_init_from_own_callback', ['B14'], 'bpf_timer_init from the timer\'s own callback returns -EBUSY.',
    [...arm(ARR, 2, CB.selfInit, 5 * MS), sleep(), dump('obs')]),
  def('timer_b15_rearm_from_callback', ['B15'], 'A callback re-arms its own timer (bpf_timer_start returns 0) until it has run three times; then it stays quiet.',
    [...arm(ARR, 0, CB.rearm3, 2 * MS), sleep(), dump('obs'), sleep(), dump('obs')]),
  def('timer_b16_switch_callback_in_callback', ['B16'], 'A callback sets another callback on its own timer and re-arms it; the next firing runs the new callback.',
    [...arm(ARR, 0, CB.switchCb, 2 * MS), sleep(), dump('obs')]),
  def('timer_b17_one_shot', ['B17'], 'Timers are one-shot: the callback runs once per start; a new start (no new set_callback) runs it once more.',
    [...arm(ARR, 0, CB.count, 5 * MS), sleep(), dump('obs'), sleep(), dump('obs'), start(ARR, 0, 5 * MS), sleep(), dump('obs')]),
  def('timer_b18_restart_replaces_expiry', ['B18'], 'Starting a pending timer replaces its expiry: 40 ms then 5 ms fires once; 5 ms then 90 ms has not fired at 50 ms and fires once later.',
    [...arm(ARR, 0, CB.count, 40 * MS), start(ARR, 0, 5 * MS), ...arm(ARR, 1, CB.count, 5 * MS), start(ARR, 1, 90 * MS), sleep(), dump('obs'), sleep(100 * MS), dump('obs')]),
  def('timer_b19_latest_callback_wins', ['B19'], 'set_callback after start replaces the callback: only the one set last before expiry runs.',
    [...arm(ARR, 0, CB.count, 10 * MS), setCb(ARR, 0, CB.other), sleep(), dump('obs')]),
  def('timer_b20_callback_arguments', ['B20'], 'The callback gets the map passed to init, the key (array index or stored hash key) and the element\'s value.',
    [set(ARR, 2, 1234), ...arm(ARR, 2, CB.count, 5 * MS), hashPut(5, 4321), ...arm(HASH, 5, CB.count, 5 * MS), sleep(), dump('obs')]),
  def('timer_b21_relative_never', ['B21'], 'Relative starts with 2^63, U64_MAX, 2^63-1 and 2^62 never fire, yet cancel reports each timer as pending (1).',
    [...[S64_MIN, (1n << 64n) - 1n, S64_MIN - 1n, 1n << 62n].flatMap((ns, k) => arm(ARR, k, CB.count, 0).slice(0, 2).concat(start(ARR, k, ns))),
      sleep(), dump('obs'), cancel(ARR, 0), cancel(ARR, 1), cancel(ARR, 2), cancel(ARR, 3)]),
  def('timer_b22_absolute_negative_and_past', ['B22'], 'Absolute start at a negative s64 time never fires (cancel gives 1); absolute 0 and now-1s fire at once.',
    [...arm(ARR, 0, CB.count, 0).slice(0, 2), start(ARR, 0, S64_MIN, ABS), ...arm(ARR, 1, CB.count, 0).slice(0, 2), start(ARR, 1, 0, ABS),
      ...arm(ARR, 2, CB.count, 0).slice(0, 2), startMono(ARR, 2, -1000n * BigInt(MS), ABS), sleep(), dump('obs'), cancel(ARR, 0), cancel(ARR, 1), cancel(ARR, 2)]),
  def('timer_b23_realtime_abs_uses_monotonic', ['B23'], 'A CLOCK_REALTIME timer started with BPF_F_TIMER_ABS reads the time on the monotonic timeline: monotonic now+10ms fires, TAI now+10ms (a wall-clock time) never does.',
    [init(ARR, 0, 0), setCb(ARR, 0, CB.count), startMono(ARR, 0, 10 * MS, ABS), init(ARR, 1, 0), setCb(ARR, 1, CB.count), startTai(ARR, 1, 10 * MS, ABS), sleep(), dump('obs'), cancel(ARR, 0), cancel(ARR, 1)]),
  def('timer_b24_absolute_monotonic_boottime', ['B24'], 'CLOCK_MONOTONIC and CLOCK_BOOTTIME timers started with BPF_F_TIMER_ABS at their clock\'s now+10ms fire.',
    [init(ARR, 0, 1), setCb(ARR, 0, CB.count), startMono(ARR, 0, 10 * MS, ABS), init(ARR, 1, 7), setCb(ARR, 1, CB.count), startBoot(ARR, 1, 10 * MS, ABS), sleep(), dump('obs')]),
  def('timer_b26_release_cancels_pending', ['B26', 'B28'], 'Releasing the array map (uref 0) cancels its armed timers: their callbacks never run; the hash map\'s timer, not released, fires.',
    [...arm(ARR, 0, CB.count, 20 * MS), ...arm(ARR, 1, CB.rearm3, 20 * MS), hashPut(4, 0), ...arm(HASH, 4, CB.count, 20 * MS), release('arr'), sleep(), dump('obs')]),
  def('timer_b30_release_all_maps', ['B30'], 'With every map of the object released (only the programs remain, as with a pinned program), bpf_timer_init returns -EPERM and set_callback/start then return -EINVAL.',
    [release('arr', 'hash', 'obs'), init(ARR, 0), setCb(ARR, 0, CB.count), start(ARR, 0, 5 * MS)]),
  def('timer_b31_set_callback_from_other_program', ['B31'], 'Program op arms the timer; program op2 sets its own callback on it; the callback of op2 runs.',
    [...arm(ARR, 0, CB.count, 10 * MS), setCb(ARR, 0, CB.other, 'op2'), sleep(), dump('obs')]),
  def('timer_b32_firing_keeps_program', ['B32'], 'Firing does not drop the callback or its program: start again without set_callback returns 0 and the callback runs again.',
    [...arm(ARR, 0, CB.count, 5 * MS), sleep(), start(ARR, 0, 5 * MS), sleep(), dump('obs')]),
  def('timer_b33_user_update_array', ['B33'], 'A user-space update of an array element cancels and uninitialises its timer: the callback never runs, start and cancel return -EINVAL, the new data is stored, init works again.',
    [...arm(ARR, 0, CB.count, 20 * MS), update('arr', u32(0), elem(5)), start(ARR, 0, 5 * MS), cancel(ARR, 0), sleep(), dump('obs'), lookup('arr', u32(0)), get(ARR, 0), init(ARR, 0)]),
  def('timer_b34_bpf_update_array', ['B34'], 'A BPF-side update of an array element uninitialises its timer (start -EINVAL, data updated); from inside the timer\'s own callback too.',
    [...arm(ARR, 0, CB.count, 20 * MS), bpfUpdate(ARR, 0, 9), start(ARR, 0, 5 * MS), get(ARR, 0), ...arm(ARR, 1, CB.updSelf, 5 * MS), sleep(), dump('obs'), get(ARR, 1), cancel(ARR, 1)]),
  def('timer_b37_hash_replace', ['B37'], 'Replacing a hash element (user space or BPF, without BPF_F_LOCK) cancels the old element\'s timer; the new element\'s timer is uninitialised.',
    [hashPut(5, 1), ...arm(HASH, 5, CB.count, 20 * MS), hashPut(5, 2, 0), start(HASH, 5, 5 * MS), hashPut(6, 1), ...arm(HASH, 6, CB.count, 20 * MS), bpfUpdate(HASH, 6, 3, 2), start(HASH, 6, 5 * MS), sleep(), dump('obs'), init(HASH, 5), init(HASH, 6), dump('hash')]),
  def('timer_b38_hash_delete', ['B38'], 'Deleting a hash element from user space or from BPF cancels its timer; an untouched element\'s timer fires.',
    [hashPut(1, 0), ...arm(HASH, 1, CB.count, 20 * MS), hashPut(2, 0), ...arm(HASH, 2, CB.count, 20 * MS), hashPut(3, 0), ...arm(HASH, 3, CB.count, 20 * MS),
      del('hash', u32(1)), bpfDelete(HASH, 2), sleep(), dump('obs'), dump('hash')]),
  def('timer_b40_array_delete', ['B40'], 'Deleting an array element returns -EINVAL from user space and from BPF; its armed timer keeps running.',
    [...arm(ARR, 0, CB.count, 20 * MS), del('arr', u32(0)), bpfDelete(ARR, 0), sleep(), dump('obs')]),
  def('timer_b41_callback_deletes_own_element', ['B41'], 'A callback deletes its own hash element (0); start and cancel through the stale value then return -EINVAL; the same from a program.',
    [hashPut(3, 0), ...arm(HASH, 3, CB.delSelf, 5 * MS), sleep(), dump('obs'), lookup('hash', u32(3)), hashPut(4, 0), init(HASH, 4), stale(HASH, 4)]),
  def('timer_b42_lookup_reads_zero_timer', ['B42'], 'User-space lookups and dumps show the timer bytes as zeros whether the timer is uninitialised, armed or fired.',
    [set(ARR, 0, 7), lookup('arr', u32(0)), ...arm(ARR, 0, CB.count, 20 * MS), lookup('arr', u32(0)), dump('arr'), sleep(), lookup('arr', u32(0)), hashPut(1, 8), ...arm(HASH, 1, CB.count, 20 * MS), lookup('hash', u32(1)), dump('hash')]),
  def('timer_b43_garbage_timer_bytes_ignored', ['B43'], 'Timer bytes supplied by user-space updates (array and hash) are ignored: lookups show zeros and init then returns 0 and the timer works.',
    [update('arr', u32(1), elem(3, 'ff'.repeat(16))), lookup('arr', u32(1)), ...arm(ARR, 1, CB.count, 5 * MS), update('hash', u32(2), elem(4, 'f3caadde'.repeat(4))), lookup('hash', u32(2)), ...arm(HASH, 2, CB.count, 5 * MS), sleep(), dump('obs')]),
  def('timer_b47_callback_cancels_other_timer', ['B47'], 'A callback cancelling another pending timer gets 1 and that timer never fires; its callback was cleared, so starting it again returns -EINVAL.',
    [...arm(ARR, 3, CB.count, 1000 * MS), ...arm(ARR, 0, CB.cancelOther, 5 * MS), sleep(), dump('obs'), cancel(ARR, 3), start(ARR, 3, 5 * MS)]),
  def('timer_b71_callback_registers_itself', ['B71'], 'A callback that registers itself again and re-arms verifies and runs (three times, as it counts).',
    [...arm(ARR, 0, CB.selfReg, 2 * MS), sleep(), dump('obs')]),
];

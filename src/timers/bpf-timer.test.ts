// The bpf_timer state machine against spec/bpf-timer.md §2.6 and the B-behaviours of §10 that
// need no real maps (maps and programs are fakes; see test-helpers.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EBUSY, EDEADLK, EINVAL, EPERM } from '../uapi/errno.ts';
import {
  BPF_F_TIMER_ABS, BPF_F_TIMER_CPU_PIN, CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME,
} from '../uapi/bpf.ts';
import { ktimeAddSafe } from './bpf-timer.ts';
import { FakeMap, FakeProg, timerRig } from './test-helpers.ts';
import { KTIME_MAX } from './timer-queue.ts';

const VAL = 0x1000_0000n; // value start; the timer field sits at offset 8
const T = VAL + 8n;
const VAL2 = 0x1000_0040n;
const T2 = VAL2 + 8n;
const CB_A = 0xbf0f_c000_0000_0010n;
const CB_B = 0xbf0f_c000_0000_0020n;
const MS = 1_000_000n;
const ABS = BigInt(BPF_F_TIMER_ABS);
const PIN = BigInt(BPF_F_TIMER_CPU_PIN);
const MONO = BigInt(CLOCK_MONOTONIC);

function armed(): ReturnType<typeof timerRig> & { map: FakeMap; prog: FakeProg } {
  const rig = timerRig();
  const map = new FakeMap('m');
  const prog = new FakeProg('p');
  assert.equal(rig.timers.timerInit(T, map, VAL, MONO), 0);
  assert.equal(rig.timers.timerSetCallback(T, prog, CB_A), 0);
  return { ...rig, map, prog };
}

test('B3/B4/B5: init flags are validated first; only clocks 0, 1, 7', () => {
  const { timers } = timerRig();
  const map = new FakeMap('m');
  for (const f of [16n, 17n, (1n << 32n) | 1n, 2n, 4n, 8n, 9n, 11n, 15n, 3n, 5n, 6n, (1n << 64n) - 1n]) {
    assert.equal(timers.timerInit(T, map, VAL, f), -EINVAL, `flags ${f}`);
  }
  assert.equal(timers.count, 0);
  for (const [i, f] of [0n, 1n, 7n].entries()) {
    assert.equal(timers.timerInit(T + BigInt(i) * 0x40n, map, VAL, f), 0);
    assert.equal(timers.inspect(T + BigInt(i) * 0x40n)?.clockId, Number(f));
  }
  assert.equal(timers.timerInit(T, map, VAL, 0n), -EBUSY); // B2
  assert.equal(timers.timerInit(T, map, VAL, 4n), -EINVAL); // B5: flags before state
  assert.equal(timers.timerInit(T, map, VAL, 16n), -EINVAL);
});

test('B1/B30: init on a map without user references is -EPERM; then the slot stays U', () => {
  const { timers } = timerRig();
  const map = new FakeMap('m');
  map.urefs = 0;
  const prog = new FakeProg('p');
  assert.equal(timers.timerInit(T, map, VAL, MONO), -EPERM);
  assert.equal(timers.timerInit(T, map, VAL, 16n), -EINVAL); // flags still first
  assert.equal(timers.timerSetCallback(T, prog, CB_A), -EINVAL);
  assert.equal(timers.timerStart(T, 0n, 0n, 0), -EINVAL);
  assert.equal(timers.timerCancel(T), -EINVAL);
  assert.equal(prog.refs, 0);
  assert.equal(timers.count, 0);
  map.urefs = 1; // B29: a user reference again: init works
  assert.equal(timers.timerInit(T, map, VAL, MONO), 0);
});

test('B6/B7/B8: set_callback/start/cancel on U; start on I; start flags', () => {
  const { timers } = timerRig();
  const map = new FakeMap('m');
  const prog = new FakeProg('p');
  assert.equal(timers.timerSetCallback(T, prog, CB_A), -EINVAL);
  assert.equal(timers.timerStart(T, 0n, 0n, 0), -EINVAL);
  assert.equal(timers.timerCancel(T), -EINVAL);
  assert.equal(timers.timerInit(T, map, VAL, MONO), 0);
  assert.equal(timers.timerStart(T, 0n, 0n, 0), -EINVAL); // B7: no callback
  assert.equal(timers.timerSetCallback(T, prog, CB_A), 0);
  for (const f of [4n, 8n, 1n << 63n, ABS | PIN | 4n]) assert.equal(timers.timerStart(T, 0n, f, 0), -EINVAL, `flags ${f}`);
  assert.equal(timers.inspect(T)?.pending, false);
  for (const f of [0n, ABS, PIN, ABS | PIN]) assert.equal(timers.timerStart(T, 1n << 40n, f, 0), 0);
});

test('set_callback with no user references on an initialised slot is -EPERM (race-only path)', () => {
  const { timers } = timerRig();
  const map = new FakeMap('m');
  const prog = new FakeProg('p');
  assert.equal(timers.timerInit(T, map, VAL, MONO), 0);
  map.urefs = 0;
  assert.equal(timers.timerSetCallback(T, prog, CB_A), -EPERM);
  assert.equal(prog.refs, 0);
});

test('B9/B10/B11/B12: cancel results; cancel drops callback and program', () => {
  const { timers, clock, log, prog } = armed();
  assert.equal(timers.timerCancel(T), 0); // B9: never started
  assert.equal(prog.refs, 0);
  assert.equal(timers.inspect(T)?.callbackFn, undefined);
  assert.equal(timers.timerStart(T, MS, 0n, 0), -EINVAL); // B12
  assert.equal(timers.timerSetCallback(T, prog, CB_A), 0);
  assert.equal(prog.refs, 1);
  assert.equal(timers.timerStart(T, MS, 0n, 0), 0);
  assert.equal(timers.timerCancel(T), 1); // B10
  assert.equal(timers.timerCancel(T), 0); // B11
  clock.advance(10n * MS);
  assert.equal(log.length, 0);
  assert.equal(timers.inspect(T)?.pending, false);
  assert.equal(timers.timerInit(T, new FakeMap('x'), VAL, MONO), -EBUSY); // still I
});

test('cancel after firing returns 0; firing keeps the program (B17, B32)', () => {
  const { timers, clock, log, prog } = armed();
  assert.equal(timers.timerStart(T, 5n * MS, 0n, 0), 0);
  clock.advance(100n * MS);
  assert.equal(log.length, 1); // one-shot
  assert.equal(prog.refs, 1);
  assert.equal(timers.inspect(T)?.callbackFn, CB_A);
  assert.equal(timers.timerStart(T, 5n * MS, 0n, 0), 0); // still C: start works again
  clock.advance(5n * MS);
  assert.equal(log.length, 2);
  assert.equal(timers.timerCancel(T), 0);
  assert.equal(prog.refs, 0);
});

test('B20: the callback gets the init map, the value start and the start CPU; B25 CPU_PIN', () => {
  const { timers, clock, log, map, prog } = armed();
  assert.equal(timers.timerStart(T, 0n, PIN, 1), 0);
  assert.equal(timers.inspect(T)?.pinned, true);
  clock.advance(0n);
  assert.deepEqual(log.map((f) => [f.fn, f.prog, f.map, f.valuePtr, f.cpu]), [[CB_A, prog, map, VAL, 1]]);
  assert.equal(timers.timerStart(T, 0n, 0n, 0), 0);
  assert.equal(timers.inspect(T)?.pinned, false);
  clock.advance(0n);
  assert.equal(log[1]?.cpu, 0);
});

test('relative 0 fires as soon as possible, never inside bpf_timer_start', () => {
  const { timers, clock, log, now } = armed();
  const t0 = now();
  assert.equal(timers.timerStart(T, 0n, 0n, 0), 0);
  assert.equal(log.length, 0);
  assert.equal(timers.inspect(T)?.pending, true);
  clock.advance(0n);
  assert.equal(log.length, 1);
  assert.equal(log[0]?.atNs, t0);
});

test('B18: start on a pending timer replaces its expiry; it fires once', () => {
  const { timers, clock, log, now } = armed();
  const t0 = now();
  timers.timerStart(T, 50n * MS, 0n, 0);
  timers.timerStart(T, 5n * MS, 0n, 0);
  clock.advance(200n * MS);
  assert.deepEqual(log.map((f) => f.atNs - t0), [5n * MS]);
  const t1 = now();
  timers.timerStart(T, 5n * MS, 0n, 0);
  timers.timerStart(T, 100n * MS, 0n, 0);
  clock.advance(50n * MS);
  assert.equal(log.length, 1);
  clock.advance(100n * MS);
  assert.deepEqual(log.map((f) => f.atNs - t1).slice(1), [100n * MS]);
});

test('B19: the callback set last before expiry runs; B31: one program reference, swapped', () => {
  const { timers, clock, log, prog } = armed();
  const other = new FakeProg('q');
  timers.timerStart(T, 5n * MS, 0n, 0);
  assert.equal(timers.timerSetCallback(T, prog, CB_B), 0); // same program: no new reference
  assert.equal(prog.refs, 1);
  assert.equal(timers.timerSetCallback(T, other, CB_A), 0);
  assert.equal(prog.refs, 0);
  assert.equal(other.refs, 1);
  assert.equal(timers.inspect(T)?.expiresNs !== undefined, true); // still armed, same expiry
  clock.advance(5n * MS);
  assert.deepEqual(log.map((f) => [f.fn, f.prog]), [[CB_A, other]]);
  assert.equal(other.refs, 1);
});

test('B21: relative expiries that saturate never fire, yet the timer is pending', () => {
  for (const ns of [(1n << 64n) - 1n, 1n << 63n, (1n << 63n) - 1n, (1n << 63n) + 5n]) {
    const { timers, clock, log } = armed();
    assert.equal(timers.timerStart(T, ns, 0n, 0), 0);
    assert.equal(timers.inspect(T)?.expiresNs, KTIME_MAX);
    clock.advance(1n << 62n);
    assert.equal(log.length, 0);
    assert.equal(timers.timerCancel(T), 1);
  }
  const { timers, clock, log, now } = armed();
  assert.equal(timers.timerStart(T, 1n << 62n, 0n, 0), 0); // ~146 years: effectively never
  assert.equal(timers.inspect(T)?.expiresNs, now() + (1n << 62n));
  clock.advance(1_000_000n * MS);
  assert.equal(log.length, 0);
});

// The spec's B22 said an absolute negative time never fires; the 6.18 kernel fires it at once
// (testdata/scenarios timer_b22 recording): absolute times are not saturated, only relative ones.
test('B22: absolute negative and absolute past times fire at once', () => {
  const { timers, clock, log, now } = armed();
  assert.equal(timers.timerStart(T, 1n << 63n, ABS, 0), 0);
  assert.equal(log.length, 0); // not synchronous
  clock.advance(0n);
  assert.equal(log.length, 1);
  assert.equal(timers.timerCancel(T), 0, 'already fired: not pending');
  const prog = new FakeProg('p2');
  for (const abs of [0n, now() - 1_000n * MS, now()]) {
    timers.timerSetCallback(T, prog, CB_A);
    const before: number = log.length;
    assert.equal(timers.timerStart(T, abs, ABS, 0), 0);
    assert.equal(log.length, before); // not synchronous
    clock.advance(0n);
    assert.equal(log.length, before + 1);
  }
});

test('B23: CLOCK_REALTIME + ABS reads the expiry on the monotonic timeline; B24 BOOTTIME ABS on boot time', () => {
  const rig = timerRig({ startNs: 50_000n * MS, realtimeNs: 1_700_000_000n * 1000n * MS, bootOffsetNs: 7_000n * MS });
  const { timers, clock, log, now } = rig;
  const map = new FakeMap('m');
  const prog = new FakeProg('p');
  const t0 = now();
  // REALTIME, ABS at realtime now + 10 ms: ~54 years ahead on the monotonic timeline.
  timers.timerInit(T, map, VAL, BigInt(CLOCK_REALTIME));
  timers.timerSetCallback(T, prog, CB_A);
  timers.timerStart(T, clock.nowNs(CLOCK_REALTIME) + 10n * MS, ABS, 0);
  // REALTIME, ABS at monotonic now + 10 ms: fires after 10 ms.
  timers.timerInit(T2, map, VAL2, BigInt(CLOCK_REALTIME));
  timers.timerSetCallback(T2, prog, CB_B);
  timers.timerStart(T2, clock.nowNs(CLOCK_MONOTONIC) + 10n * MS, ABS, 0);
  clock.advance(1000n * MS);
  assert.deepEqual(log.map((f) => [f.fn, f.atNs - t0]), [[CB_B, 10n * MS]]);
  // Relative REALTIME behaves like monotonic.
  timers.timerStart(T2, 3n * MS, 0n, 0);
  clock.advance(3n * MS);
  assert.equal(log.length, 2);

  // BOOTTIME: ABS on boot time (monotonic + 7 s here).
  const T3 = VAL + 0x108n;
  const T4 = VAL + 0x208n;
  timers.timerInit(T3, map, VAL + 0x100n, BigInt(CLOCK_BOOTTIME));
  timers.timerSetCallback(T3, prog, CB_A);
  timers.timerInit(T4, map, VAL + 0x200n, BigInt(CLOCK_BOOTTIME));
  timers.timerSetCallback(T4, prog, CB_B);
  const t1 = now();
  timers.timerStart(T3, clock.nowNs(CLOCK_BOOTTIME) + 10n * MS, ABS, 0);
  timers.timerStart(T4, clock.nowNs(CLOCK_MONOTONIC) + 10n * MS, ABS, 0); // 7 s in boot's past
  clock.advance(0n);
  assert.deepEqual(log.slice(2).map((f) => [f.fn, f.atNs - t1]), [[CB_B, 0n]]);
  clock.advance(20n * MS);
  assert.deepEqual(log.slice(3).map((f) => [f.fn, f.atNs - t1]), [[CB_A, 10n * MS]]);
  // Relative BOOTTIME: now + ns.
  timers.timerStart(T3, 4n * MS, 0n, 0);
  assert.equal(timers.inspect(T3)?.expiresNs, now() + 4n * MS);
});

test('B13/B14/B15/B16: what a callback may do to its own timer', () => {
  const { timers, clock, log, bodies, prog, map, now } = armed();
  const results: number[] = [];
  let n = 0;
  bodies.set(CB_A, () => {
    results.push(timers.timerInit(T, map, VAL, MONO)); // B14: -EBUSY
    results.push(timers.timerStart(T, 2n * MS, 0n, 0)); // B15: re-arm
    results.push(timers.timerCancel(T)); // B13: -EDEADLK, changes nothing
    assert.equal(timers.inspect(T)?.running, true);
    assert.equal(timers.runningTimer, T);
    assert.equal(prog.refs, 2); // held by the timer, plus the running callback
    if (++n === 2) results.push(timers.timerSetCallback(T, prog, CB_B)); // B16
  });
  bodies.set(CB_B, () => results.push(-1000));
  const t0 = now();
  timers.timerStart(T, MS, 0n, 0);
  clock.advance(100n * MS);
  assert.deepEqual(results, [-EBUSY, 0, -EDEADLK, -EBUSY, 0, -EDEADLK, 0, -1000]);
  assert.deepEqual(log.map((f) => [f.fn, f.atNs - t0]), [[CB_A, MS], [CB_A, 3n * MS], [CB_B, 5n * MS]]);
  assert.equal(prog.refs, 1);
  assert.equal(timers.runningTimer, undefined);
});

test('B47: a callback cancelling another pending timer gets 1, a non-pending one 0', () => {
  const { timers, clock, bodies, map, prog } = armed();
  timers.timerInit(T2, map, VAL2, MONO);
  timers.timerSetCallback(T2, prog, CB_B);
  timers.timerStart(T2, 1n << 35n, 0n, 0);
  const got: number[] = [];
  bodies.set(CB_A, () => {
    got.push(timers.timerCancel(T2), timers.timerCancel(T2));
  });
  bodies.set(CB_B, () => assert.fail('cancelled timer ran'));
  timers.timerStart(T, MS, 0n, 0);
  clock.advance(1n << 36n);
  assert.deepEqual(got, [1, 0]);
  assert.equal(prog.refs, 1); // T2's reference dropped by the cancel
  assert.equal(timers.timerStart(T2, 0n, 0n, 0), -EINVAL);
});

test('timers due at the same instant fire in arming order', () => {
  const { timers, clock, log, map, prog } = armed();
  const keys = [0, 1, 2, 3].map((i) => VAL + BigInt(i) * 0x100n + 8n);
  for (const k of keys) {
    if (k !== T) timers.timerInit(k, map, k - 8n, MONO);
    timers.timerSetCallback(k, prog, 0x100n + k);
  }
  for (const k of [keys[2]!, keys[0]!, keys[3]!, keys[1]!]) timers.timerStart(k, 5n * MS, 0n, 0);
  timers.timerStart(keys[2]!, 5n * MS, 0n, 0); // re-armed: now last
  clock.advance(5n * MS);
  assert.deepEqual(log.map((f) => f.valuePtr), [keys[0]!, keys[3]!, keys[1]!, keys[2]!].map((k) => k - 8n));
});

test('§2.5 free path: pending timer dropped, program released, slot back to U', () => {
  const { timers, clock, log, prog, map } = armed();
  timers.timerStart(T, MS, 0n, 0);
  timers.freeTimer(T);
  assert.equal(prog.refs, 0);
  assert.equal(timers.inspect(T), undefined);
  clock.advance(10n * MS);
  assert.equal(log.length, 0);
  // B33/B39: helpers on the freed slot see U.
  assert.equal(timers.timerStart(T, 0n, 0n, 0), -EINVAL);
  assert.equal(timers.timerCancel(T), -EINVAL);
  assert.equal(timers.timerSetCallback(T, prog, CB_A), -EINVAL);
  timers.freeTimer(T); // nothing on U
  assert.equal(timers.timerInit(T, map, VAL, MONO), 0); // a fresh timer
  assert.equal(timers.inspect(T)?.callbackFn, undefined);
  timers.freeTimer(T); // I: just uninitialised
  assert.equal(timers.count, 0);
});

test('B41: a callback freeing its own element finishes; the timer never fires again', () => {
  const { timers, clock, log, bodies, prog, map } = armed();
  const got: number[] = [];
  bodies.set(CB_A, () => {
    got.push(timers.timerStart(T, MS, 0n, 0)); // re-armed before the delete
    timers.freeTimer(T); // bpf_map_delete_elem on its own element
    assert.equal(prog.refs, 1); // only the running callback's hold remains
    got.push(timers.timerStart(T, MS, 0n, 0)); // stale value: -EINVAL
    got.push(timers.timerInit(T, map, VAL, MONO)); // a new element at the same address
    got.push(timers.timerCancel(T)); // not our own control block: no -EDEADLK
  });
  timers.timerStart(T, MS, 0n, 0);
  clock.advance(100n * MS);
  assert.deepEqual(got, [0, -EINVAL, 0, 0]);
  assert.equal(log.length, 1);
  assert.equal(prog.refs, 0);
});

test('a callback freeing another element\'s pending timer: it never fires', () => {
  const { timers, clock, log, bodies, prog, map } = armed();
  timers.timerInit(T2, map, VAL2, MONO);
  timers.timerSetCallback(T2, prog, CB_B);
  timers.timerStart(T2, 2n * MS, 0n, 0);
  bodies.set(CB_A, () => timers.freeTimer(T2));
  timers.timerStart(T, MS, 0n, 0);
  clock.advance(10n * MS);
  assert.deepEqual(log.map((f) => f.fn), [CB_A]);
  assert.equal(prog.refs, 1);
});

test('B26/B28: releasing the map cancels its timers and frees their programs; init then -EPERM', () => {
  const { timers, clock, log, bodies, prog, map } = armed();
  const other = new FakeMap('other');
  const otherProg = new FakeProg('q');
  timers.timerInit(T2, other, VAL2, MONO);
  timers.timerSetCallback(T2, otherProg, CB_B);
  bodies.set(CB_A, () => timers.timerStart(T, 10n * MS, 0n, 0)); // self-re-arming
  timers.timerStart(T, 10n * MS, 0n, 0);
  timers.timerStart(T2, 35n * MS, 0n, 0);
  clock.advance(25n * MS);
  assert.equal(log.length, 2);
  // The program handles are gone, but the armed timer keeps the program referenced (B28).
  assert.equal(prog.refs, 1);
  map.urefs = 0;
  timers.releaseMap(map);
  assert.equal(prog.refs, 0);
  assert.equal(timers.countOf(map), 0);
  clock.advance(100n * MS);
  assert.deepEqual(log.map((f) => f.fn), [CB_A, CB_A, CB_B]); // the other map's timer is unaffected
  assert.equal(timers.timerInit(T, map, VAL, MONO), -EPERM);
  assert.equal(timers.timerStart(T, 0n, 0n, 0), -EINVAL);
  timers.freeAll();
  assert.equal(otherProg.refs, 0);
  assert.equal(timers.count, 0);
  assert.equal(clock.pendingCount, 0);
});

test('a callback releasing its own map: it completes, nothing fires afterwards', () => {
  const { timers, clock, log, bodies, prog, map } = armed();
  bodies.set(CB_A, () => {
    timers.timerStart(T, MS, 0n, 0);
    map.urefs = 0;
    timers.releaseMap(map);
  });
  timers.timerStart(T, MS, 0n, 0);
  clock.runUntilIdle();
  assert.equal(log.length, 1);
  assert.equal(prog.refs, 0);
});

test('ktimeAddSafe saturates like the kernel', () => {
  assert.equal(ktimeAddSafe(1n, 2n), 3n);
  assert.equal(ktimeAddSafe(KTIME_MAX, 1n), KTIME_MAX);
  assert.equal(ktimeAddSafe(-1n, 10n), KTIME_MAX); // res < lhs? no; res < rhs: yes
  assert.equal(ktimeAddSafe(-5n, 0n), KTIME_MAX);
  assert.equal(ktimeAddSafe(0n, 0n), 0n);
});

test('a freed slot is uninitialised at once, also for the helpers called on it next; addresses beyond 2^53 hold no timer', () => {
  const { timers, clock } = armed();
  const prog = new FakeProg('q');
  assert.equal(timers.timerStart(T, MS, 0n, 0), 0);
  assert.equal(timers.isInitialised(T), true);
  timers.freeTimer(T);
  assert.equal(timers.isInitialised(T), false);
  assert.equal(timers.timerStart(T, MS, 0n, 0), -EINVAL);
  assert.equal(timers.timerSetCallback(T, prog, CB_A), -EINVAL);
  assert.equal(timers.timerCancel(T), -EINVAL);
  assert.equal(prog.refs, 0);
  assert.equal(clock.pendingCount, 0);
  // Re-initialised: a new control block, in state I.
  assert.equal(timers.timerInit(T, new FakeMap('m2'), VAL, MONO), 0);
  assert.equal(timers.timerStart(T, MS, 0n, 0), -EINVAL);
  assert.equal(timers.inspect(T)?.prog, undefined);
  // Two addresses that round to the same double are not confused, and the far one holds nothing.
  const far = (1n << 53n) + 1n;
  assert.equal(timers.isInitialised(far), false);
  assert.equal(timers.timerStart(far, MS, 0n, 0), -EINVAL);
  assert.throws(() => timers.timerInit(far, new FakeMap('m3'), far, MONO), RangeError);
  assert.equal(timers.timerInit(-T, new FakeMap('m4'), -VAL, MONO), 0, 'a negative address is still exact');
  assert.equal(timers.inspect(-T)?.valuePtr, -VAL);
  assert.equal(timers.inspect(T)?.valuePtr, VAL);
  assert.equal(timers.count, 2);
});

test('flags are u64: bigints outside that range are taken modulo 2^64', () => {
  const { timers } = armed();
  const U64 = 1n << 64n;
  for (const f of [-1n, -(1n << 63n), U64 + 4n, 4n, 0x100n, -U64 + 8n]) assert.equal(timers.timerStart(T, MS, f, 0), -EINVAL, `flags ${f}`);
  for (const f of [0n, 1n, 2n, 3n, U64, U64 + 3n, -U64 + 1n]) assert.equal(timers.timerStart(T, MS, f, 0), 0, `flags ${f}`);
  for (const f of [-1n, 2n, 3n, 4n, 8n, 16n, 1n << 32n, U64 + 2n]) assert.equal(timers.timerInit(T2, new FakeMap('x'), VAL2, f), -EINVAL, `init flags ${f}`);
  assert.equal(timers.timerInit(T2, new FakeMap('x'), VAL2, U64 + 7n), 0);
  assert.equal(timers.inspect(T2)?.clockId, CLOCK_BOOTTIME);
});

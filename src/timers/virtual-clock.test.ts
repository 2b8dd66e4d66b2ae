import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_TAI,
} from '../uapi/bpf.ts';
import { isBpfError } from '../util/errors.ts';
import { KTIME_MAX, TimerEntry } from './timer-queue.ts';
import { DEFAULT_VIRTUAL_START_NS, TimerLivelockError, VirtualClock } from './virtual-clock.ts';

test('clock ids are views of one monotonic time', () => {
  const c = new VirtualClock({ startNs: 10_000_000_000n, realtimeNs: 1_000_000_000_000_000_000n, bootOffsetNs: 5n, taiOffsetNs: 37_000_000_000n, hz: 250 });
  c.advance(6_000_001n);
  const mono = 10_006_000_001n;
  assert.equal(c.nowNs(CLOCK_MONOTONIC), mono);
  assert.equal(c.nowNs(CLOCK_MONOTONIC_RAW), mono);
  assert.equal(c.nowNs(CLOCK_BOOTTIME), mono + 5n);
  assert.equal(c.nowNs(CLOCK_REALTIME), 1_000_000_000_000_000_000n + 6_000_001n);
  assert.equal(c.nowNs(CLOCK_TAI), c.nowNs(CLOCK_REALTIME) + 37_000_000_000n);
  // Coarse: as of the last 4 ms tick.
  assert.equal(c.nowNs(CLOCK_MONOTONIC_COARSE), 10_004_000_000n);
  assert.equal(c.nowNs(CLOCK_REALTIME_COARSE), 10_004_000_000n + (1_000_000_000_000_000_000n - 10_000_000_000n));
  assert.throws(() => c.nowNs(CLOCK_PROCESS_CPUTIME_ID), (e) => isBpfError(e, 22));
  assert.equal(new VirtualClock().nowNs(CLOCK_MONOTONIC), DEFAULT_VIRTUAL_START_NS);
  assert.throws(() => new VirtualClock({ bootOffsetNs: -1n }), (e) => isBpfError(e, 22));
});

test('advance fires due timers in (expiry, arming) order, each at its own expiry', () => {
  const c = new VirtualClock({ startNs: 0n });
  const log: string[] = [];
  const mk = (name: string): TimerEntry => new TimerEntry(() => log.push(`${name}@${c.nowNs(CLOCK_MONOTONIC)}`));
  const a = mk('a'), b = mk('b'), d = mk('d'), late = mk('late');
  c.arm(a, 20n);
  c.arm(b, 10n);
  c.arm(d, 20n);
  c.arm(late, 101n);
  assert.equal(c.advance(100n), 3);
  assert.deepEqual(log, ['b@10', 'a@20', 'd@20']);
  assert.equal(c.nowNs(CLOCK_MONOTONIC), 100n);
  assert.equal(c.nextExpiryNs(), 101n);
  assert.equal(c.advance(0n), 0);
  assert.equal(c.advance(1n), 1);
  assert.deepEqual(log.at(-1), 'late@101');
});

test('timers armed by callbacks during an advance fire in it when due; past expiries fire at once', () => {
  const c = new VirtualClock({ startNs: 0n });
  const log: string[] = [];
  const now = (): bigint => c.nowNs(CLOCK_MONOTONIC);
  let n = 0;
  const periodic: TimerEntry = new TimerEntry(() => {
    log.push(`p@${now()}`);
    if (++n < 4) c.arm(periodic, now() + 30n);
  });
  const past = new TimerEntry(() => log.push(`past@${now()}`));
  const armsPast = new TimerEntry(() => {
    log.push(`x@${now()}`);
    c.arm(past, 5n); // already in the past: fires next, time does not go back
  });
  c.arm(periodic, 30n);
  c.arm(armsPast, 45n);
  c.advance(100n);
  assert.deepEqual(log, ['p@30', 'x@45', 'past@45', 'p@60', 'p@90']);
  c.advance(100n);
  assert.deepEqual(log.at(-1), 'p@120');
});

test('re-arming and cancelling during firing', () => {
  const c = new VirtualClock({ startNs: 0n });
  const log: string[] = [];
  const b = new TimerEntry(() => log.push('b'));
  const d = new TimerEntry(() => log.push('d'));
  const a = new TimerEntry(() => {
    log.push('a');
    assert.equal(c.cancel(b), true); // due at the same instant: never runs
    c.arm(d, 50n); // moved later: runs once, at 50
  });
  c.arm(a, 10n);
  c.arm(b, 10n);
  c.arm(d, 20n);
  c.advance(40n);
  assert.deepEqual(log, ['a']);
  c.advance(10n);
  assert.deepEqual(log, ['a', 'd']);
  assert.equal(c.pendingCount, 0);
});

test('KTIME_MAX never fires, even when advancing past it', () => {
  const c = new VirtualClock({ startNs: 0n });
  let fired = false;
  const e = new TimerEntry(() => (fired = true));
  c.arm(e, KTIME_MAX);
  c.advance(KTIME_MAX);
  assert.equal(fired, false);
  assert.equal(e.queued, true);
  assert.deepEqual(c.runUntilIdle(), { fired: 0, idle: true });
});

test('runUntilIdle runs to the last timer; limits stop self-re-arming timers', () => {
  const c = new VirtualClock({ startNs: 0n });
  let n = 0;
  const once = new TimerEntry(() => n++);
  c.arm(once, 1_000n);
  assert.deepEqual(c.runUntilIdle(), { fired: 1, idle: true });
  assert.equal(c.nowNs(CLOCK_MONOTONIC), 1_000n);

  const forever: TimerEntry = new TimerEntry(() => c.arm(forever, c.nowNs(CLOCK_MONOTONIC) + 10n));
  c.arm(forever, 1_010n);
  assert.deepEqual(c.runUntilIdle({ limitNs: 95n }), { fired: 9, idle: false });
  assert.equal(c.nowNs(CLOCK_MONOTONIC), 1_095n);
  assert.deepEqual(c.runUntilIdle({ maxFirings: 5 }), { fired: 5, idle: false });
  assert.equal(c.nowNs(CLOCK_MONOTONIC), 1_140n);
});

test('a 0 ns self-re-arming timer trips the livelock guard instead of hanging', () => {
  const c = new VirtualClock({ startNs: 0n, maxFirings: 1000 });
  const spin: TimerEntry = new TimerEntry(() => c.arm(spin, c.nowNs(CLOCK_MONOTONIC)));
  c.arm(spin, 5n);
  assert.throws(() => c.advance(10n), (e) => e instanceof TimerLivelockError && e.errno === 40 && e.fired === 1000);
  assert.equal(c.nowNs(CLOCK_MONOTONIC), 5n);
  assert.equal(spin.queued, true);
  assert.deepEqual(c.runUntilIdle(), { fired: 1000, idle: false });
});

test('advance from a callback is refused; negative advance is refused', () => {
  const c = new VirtualClock({ startNs: 0n });
  let err: unknown;
  c.arm(new TimerEntry(() => {
    try {
      c.advance(1n);
    } catch (e) {
      err = e;
    }
  }), 1n);
  c.advance(1n);
  assert.ok(isBpfError(err, 16));
  assert.throws(() => c.advance(-1n), (e) => isBpfError(e, 22));
});

test('a throwing callback propagates; the clock stays consistent', () => {
  const c = new VirtualClock({ startNs: 0n });
  let ran = false;
  c.arm(new TimerEntry(() => { throw new Error('boom'); }), 5n);
  c.arm(new TimerEntry(() => (ran = true)), 7n);
  assert.throws(() => c.advance(10n), /boom/);
  assert.equal(c.nowNs(CLOCK_MONOTONIC), 5n);
  c.advance(5n);
  assert.equal(ran, true);
});

test('close: nothing fires afterwards, arming is a no-op', () => {
  const c = new VirtualClock({ startNs: 0n });
  let n = 0;
  const e = new TimerEntry(() => n++);
  c.arm(e, 5n);
  c.close();
  assert.equal(c.closed, true);
  c.arm(e, 6n);
  c.advance(100n);
  assert.equal(n, 0);
  assert.equal(e.queued, false);
});

test('determinism: the same schedule gives the same trace', () => {
  const run = (): string[] => {
    const c = new VirtualClock();
    const log: string[] = [];
    let seed = 99;
    const es = Array.from({ length: 50 }, (_, i) => new TimerEntry(() => {
      log.push(`${i}@${c.nowNs(CLOCK_MONOTONIC)}`);
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      if (seed % 3 === 0) c.arm(es[i]!, c.nowNs(CLOCK_MONOTONIC) + BigInt(seed % 7));
    }));
    es.forEach((e, i) => c.arm(e, DEFAULT_VIRTUAL_START_NS + BigInt(i % 5)));
    c.runUntilIdle();
    return log;
  };
  assert.deepEqual(run(), run());
});

test('fireDueNow fires what is due without moving time, and never from inside a callback', () => {
  const c = new VirtualClock({ startNs: 100n });
  const log: string[] = [];
  const inner = new TimerEntry(() => log.push('inner'));
  const outer = new TimerEntry(() => {
    log.push('outer');
    c.arm(inner, 100n); // due, but the softirq does not nest: it waits for the running loop
    assert.equal(c.fireDueNow(), 0);
  });
  const later = new TimerEntry(() => log.push('later'));
  c.arm(outer, 50n);
  c.arm(later, 101n);
  assert.equal(c.fireDueNow(), 2);
  assert.deepEqual(log, ['outer', 'inner']);
  assert.equal(c.nowNs(CLOCK_MONOTONIC), 100n);
  assert.equal(c.pendingCount, 1);
  c.close();
  c.arm(new TimerEntry(() => log.push('closed')), 0n);
  assert.equal(c.fireDueNow(), 0);
});

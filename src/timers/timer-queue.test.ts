import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KTIME_MAX, TimerEntry, TimerQueue } from './timer-queue.ts';

function entries(n: number, log: number[]): TimerEntry[] {
  return Array.from({ length: n }, (_, i) => new TimerEntry(() => log.push(i)));
}

function drain(q: TimerQueue): TimerEntry[] {
  const out: TimerEntry[] = [];
  for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e);
  return out;
}

test('pops by expiry, equal expiries by arming order', () => {
  const q = new TimerQueue();
  const e = entries(5, []);
  q.arm(e[0]!, 30n);
  q.arm(e[1]!, 10n);
  q.arm(e[2]!, 20n);
  q.arm(e[3]!, 10n);
  q.arm(e[4]!, 20n);
  assert.equal(q.size, 5);
  assert.deepEqual(drain(q), [e[1], e[3], e[2], e[4], e[0]]);
  assert.ok(e.every((x) => !x.queued));
});

test('re-arming replaces the expiry and counts as a new arming', () => {
  const q = new TimerQueue();
  const e = entries(3, []);
  q.arm(e[0]!, 10n);
  q.arm(e[1]!, 10n);
  q.arm(e[2]!, 50n);
  q.arm(e[0]!, 10n); // same time, re-armed: now after e[1]
  q.arm(e[2]!, 5n); // earlier
  assert.equal(q.size, 3);
  assert.deepEqual(drain(q), [e[2], e[1], e[0]]);
});

test('cancel removes any entry, reports whether it was queued', () => {
  const q = new TimerQueue();
  const e = entries(6, []);
  e.forEach((x, i) => q.arm(x, BigInt(100 - i * 10)));
  assert.equal(q.cancel(e[3]!), true);
  assert.equal(q.cancel(e[3]!), false);
  assert.equal(q.cancel(e[5]!), true); // the head
  assert.equal(q.peek(), e[4]);
  assert.deepEqual(drain(q), [e[4], e[2], e[1], e[0]]);
  q.arm(e[0]!, 1n);
  q.clear();
  assert.equal(q.size, 0);
  assert.equal(e[0]!.queued, false);
});

test('signed 64-bit ordering: negative expiries first, KTIME_MAX last', () => {
  const q = new TimerQueue();
  const times = [KTIME_MAX, 3n, -(1n << 40n), 1n << 40n, -5n, KTIME_MAX - 1n, (1n << 32n) - 1n, 1n << 32n, -(1n << 63n)];
  const e = entries(times.length, []);
  times.forEach((t, i) => q.arm(e[i]!, t));
  assert.deepEqual(drain(q).map((x) => x.expiresNs), [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
});

for (const [name, times, seed0] of [['many expiries', 50, 12345], ['few expiries (long runs of equal expiry)', 3, 777], ['one expiry', 1, 4242]] as const) {
test(`random operations keep the order and the queued bookkeeping (model check, ${name})`, () => {
  let seed: number = seed0;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const q = new TimerQueue();
  const e = entries(64, []);
  const model = new Map<TimerEntry, [bigint, number]>();
  let seq = 0;
  for (let step = 0; step < 20_000; step++) {
    const x = e[rnd(e.length)]!;
    const op = rnd(4);
    if (op <= 1) {
      const t = BigInt(rnd(times));
      q.arm(x, t);
      model.set(x, [t, seq++]);
    } else if (op === 2) {
      assert.equal(q.cancel(x), model.delete(x));
    } else {
      const got = q.pop();
      const want = [...model.entries()].sort((a, b) => (a[1][0] < b[1][0] ? -1 : a[1][0] > b[1][0] ? 1 : a[1][1] - b[1][1]))[0];
      assert.equal(got, want?.[0]);
      if (want !== undefined) model.delete(want[0]);
    }
    assert.equal(q.size, model.size);
    for (const y of e) assert.equal(y.queued, model.has(y));
    const head = [...model.entries()].sort((a, b) => (a[1][0] < b[1][0] ? -1 : a[1][0] > b[1][0] ? 1 : a[1][1] - b[1][1]))[0];
    assert.equal(q.peek(), head?.[0]);
  }
});
}

test('expiries whose doubles collide (beyond 2^53 ns, near KTIME_MAX) keep their exact order; out-of-range values wrap', () => {
  const p53 = 1n << 53n;
  // Neighbours of ±2^53 and of KTIME_MAX share a double; equal expiries still go by arming order.
  const times = [p53 + 1n, p53, p53 - 1n, p53 + 2n, p53 + 1n, KTIME_MAX, KTIME_MAX - 1n, KTIME_MAX - 2n, KTIME_MAX, -p53 - 1n, -p53, -p53 + 1n, -(1n << 63n), -(1n << 63n) + 1n, 5n];
  let seed = 99;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const q = new TimerQueue();
  const e = entries(24, []);
  const model = new Map<TimerEntry, [bigint, number]>();
  let seq = 0;
  const cmp = (a: [bigint, number], b: [bigint, number]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]);
  for (let step = 0; step < 5000; step++) {
    const x = e[rnd(e.length)]!;
    const op = rnd(3);
    if (op <= 1) {
      const t = times[rnd(times.length)]!;
      q.arm(x, t);
      model.set(x, [t, seq++]);
    } else {
      const got = q.pop();
      const want = [...model.entries()].sort((a, b) => cmp(a[1], b[1]))[0];
      assert.equal(got, want?.[0]);
      if (want !== undefined) model.delete(want[0]);
    }
  }
  // Values outside s64 are taken modulo 2^64, as signed.
  const w = entries(3, []);
  q.clear();
  q.arm(w[0]!, 1n << 63n); // = -2^63: first
  q.arm(w[1]!, (1n << 64n) + 7n); // = 7
  q.arm(w[2]!, -1n - (1n << 64n)); // = -1
  assert.deepEqual(drain(q).map((x) => x.expiresNs), [-(1n << 63n), -1n, 7n]);
});

test('1M timers: insert, cancel half, re-arm, pop in order', () => {
  const n = 1_000_000;
  const q = new TimerQueue();
  const e = entries(n, []);
  let seed = 7;
  for (const x of e) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    q.arm(x, BigInt(seed % 1_000_000));
  }
  for (let i = 0; i < n; i += 2) assert.equal(q.cancel(e[i]!), true);
  for (let i = 1; i < n; i += 4) q.arm(e[i]!, BigInt(i));
  assert.equal(q.size, n / 2);
  let prev: TimerEntry | undefined;
  let count = 0;
  for (let x = q.pop(); x !== undefined; x = q.pop()) {
    if (prev !== undefined) {
      assert.ok(prev.expiresNs < x.expiresNs || (prev.expiresNs === x.expiresNs && prev.seq < x.seq));
    }
    prev = x;
    count++;
  }
  assert.equal(count, n / 2);
});

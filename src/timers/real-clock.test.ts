import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME } from '../uapi/bpf.ts';
import { RealClock } from './real-clock.ts';
import { KTIME_MAX, TimerEntry } from './timer-queue.ts';

const MS = 1_000_000n;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('follows the host monotonic clock; realtime anchored to the wall clock', async () => {
  const c = new RealClock({ bootOffsetNs: 7n });
  const m0 = c.nowNs(CLOCK_MONOTONIC);
  const wall = BigInt(Date.now()) * MS;
  const rt = c.nowNs(CLOCK_REALTIME);
  assert.ok(rt - wall < 50n * MS && wall - rt < 50n * MS, `realtime ${rt} vs wall ${wall}`);
  await sleep(20);
  const m1 = c.nowNs(CLOCK_MONOTONIC);
  assert.ok(m1 - m0 >= 19n * MS && m1 - m0 < 500n * MS, `elapsed ${m1 - m0}`);
  assert.equal(c.views.view(CLOCK_BOOTTIME, m1), m1 + 7n);
  assert.ok(c.nowNs(CLOCK_BOOTTIME) >= m1 + 7n);
  c.close();
});

test('timers fire on time, in order, and re-arm from callbacks', async () => {
  const c = new RealClock();
  const t0 = c.nowNs(CLOCK_MONOTONIC);
  const log: Array<[string, bigint]> = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let n = 0;
  const periodic: TimerEntry = new TimerEntry(() => {
    log.push(['p', c.nowNs(CLOCK_MONOTONIC) - t0]);
    if (++n < 3) c.arm(periodic, c.nowNs(CLOCK_MONOTONIC) + 15n * MS);
    else done();
  });
  const later = new TimerEntry(() => log.push(['later', c.nowNs(CLOCK_MONOTONIC) - t0]));
  const early = new TimerEntry(() => log.push(['early', c.nowNs(CLOCK_MONOTONIC) - t0]));
  c.arm(later, t0 + 25n * MS);
  c.arm(periodic, t0 + 10n * MS);
  c.arm(early, t0 + 5n * MS); // moves the host timer earlier
  await finished;
  assert.deepEqual(log.map((x) => x[0]), ['early', 'p', 'later', 'p', 'p']);
  const at = (i: number): bigint => log[i]![1];
  assert.ok(at(0) >= 5n * MS && at(0) < 150n * MS, `early at ${at(0)}`);
  assert.ok(at(1) >= 10n * MS, `p at ${at(1)}`);
  assert.ok(at(4) >= 40n * MS && at(4) < 400n * MS, `last at ${at(4)}`);
  assert.equal(c.hostTimerArmed, false); // nothing armed: nothing holds the event loop
  c.close();
});

test('cancel of the only timer drops the host timer; "never" timers arm no host timer', () => {
  const c = new RealClock();
  const e = new TimerEntry(() => assert.fail('cancelled timer fired'));
  c.arm(e, c.nowNs(CLOCK_MONOTONIC) + 60_000n * MS);
  assert.equal(c.hostTimerArmed, true);
  assert.equal(c.cancel(e), true);
  assert.equal(c.hostTimerArmed, false);
  c.arm(e, KTIME_MAX);
  assert.equal(c.hostTimerArmed, false);
  assert.equal(c.pendingCount, 1);
  c.close();
});

test('fireDueNow fires due timers synchronously, leaves the others to the host timer', () => {
  const c = new RealClock();
  const log: string[] = [];
  const now = c.nowNs(CLOCK_MONOTONIC);
  c.arm(new TimerEntry(() => log.push('due')), now);
  c.arm(new TimerEntry(() => log.push('later')), now + 60_000n * MS);
  assert.equal(c.fireDueNow(), 1);
  assert.deepEqual(log, ['due']);
  assert.equal(c.pendingCount, 1);
  assert.equal(c.hostTimerArmed, true);
  c.close();
  assert.equal(c.fireDueNow(), 0);
});

test('near expiries are polled for, far ones use setTimeout; neither fires early', async () => {
  for (const spinWindowNs of [0n, 5n * MS]) {
    const c = new RealClock({ spinWindowNs });
    const at: bigint[] = [];
    const due = c.nowNs(CLOCK_MONOTONIC) + 300_000n; // 0.3 ms
    c.arm(new TimerEntry(() => at.push(c.nowNs(CLOCK_MONOTONIC))), due);
    assert.equal(c.hostTimerArmed, true);
    while (at.length === 0) await sleep(1);
    assert.ok((at[0] as bigint) >= due, `fired ${due - (at[0] as bigint)} ns early (spin window ${spinWindowNs})`);
    assert.equal(c.hostTimerArmed, false);
    c.close();
  }
});

test('nothing fires after close', async () => {
  const c = new RealClock();
  let fired = 0;
  const e = new TimerEntry(() => fired++);
  c.arm(e, c.nowNs(CLOCK_MONOTONIC) + 10n * MS);
  c.close();
  c.arm(e, c.nowNs(CLOCK_MONOTONIC) + 5n * MS);
  await sleep(40);
  assert.equal(fired, 0);
  assert.equal(c.hostTimerArmed, false);
  assert.equal(c.closed, true);
});

test('long delays are capped to what setTimeout accepts', () => {
  const g = globalThis as unknown as { setTimeout: (fn: () => void, ms: number) => unknown };
  const orig = g.setTimeout;
  const delays: number[] = [];
  g.setTimeout = (fn, ms) => {
    delays.push(ms);
    return orig(fn, 1e9); // never reached: cleared by close below
  };
  try {
    const c = new RealClock();
    c.arm(new TimerEntry(() => {}), c.nowNs(CLOCK_MONOTONIC) + 40n * 24n * 3600n * 1000n * MS); // 40 days
    c.close();
  } finally {
    g.setTimeout = orig;
  }
  assert.deepEqual(delays, [0x7fff_ffff]);
});

test('callback errors go to onError after the host timer is re-armed', async () => {
  const errors: unknown[] = [];
  let ran = false;
  const c = new RealClock({ onError: (e) => errors.push(e) });
  const now = c.nowNs(CLOCK_MONOTONIC);
  c.arm(new TimerEntry(() => { throw new Error('boom'); }), now + 2n * MS);
  c.arm(new TimerEntry(() => (ran = true)), now + 30n * MS);
  await sleep(80);
  assert.equal(ran, true);
  assert.equal(errors.length, 1);
  c.close();
});

function runChild(body: string): { status: number | null; ms: number; out: string } {
  const mod = fileURLToPath(new URL('./index.ts', import.meta.url));
  const script = `import { RealClock, TimerEntry } from ${JSON.stringify(mod)};\n${body}`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, ms: Date.now() - t0, out: r.stdout + r.stderr };
}

test('the process exits when nothing is armed (keepAlive) and at once with keepAlive: false', () => {
  // A timer fires, re-arms nothing: the process ends right after it.
  const a = runChild(`const c = new RealClock(); c.arm(new TimerEntry(() => console.log('fired')), c.nowNs(1) + 50_000_000n);`);
  assert.equal(a.status, 0, a.out);
  assert.match(a.out, /fired/);
  // An armed 60 s timer with keepAlive: false does not hold the process.
  const b = runChild(`const c = new RealClock({ keepAlive: false }); c.arm(new TimerEntry(() => console.log('fired')), c.nowNs(1) + 60_000_000_000n); console.log('armed');`);
  assert.equal(b.status, 0, b.out);
  assert.doesNotMatch(b.out, /fired/);
  assert.ok(b.ms < 15_000, `took ${b.ms} ms`);
  // A 60 s timer cancelled again leaves nothing behind.
  const d = runChild(`const c = new RealClock(); const e = new TimerEntry(() => {}); c.arm(e, c.nowNs(1) + 60_000_000_000n); c.cancel(e);`);
  assert.equal(d.status, 0, d.out);
  assert.ok(d.ms < 15_000, `took ${d.ms} ms`);
});

test('keepAlive: false still polls for close expiries while another host timer holds the process', async () => {
  // An unreferenced setImmediate lets Node block in its poll phase until the next referenced
  // timer (here the 40 ms sleep): the 1 ms timer would fire only when the sleep ends.
  let late = 0;
  for (let i = 0; i < 5; i++) {
    const c = new RealClock({ keepAlive: false });
    const expires = c.nowNs(CLOCK_MONOTONIC) + 1n * MS;
    let firedAt: bigint | undefined;
    c.arm(new TimerEntry(() => { firedAt = c.nowNs(CLOCK_MONOTONIC); }), expires);
    await sleep(40);
    c.close();
    assert.ok(firedAt !== undefined, 'fired');
    if (firedAt - expires > 20n * MS) late++;
  }
  assert.ok(late <= 1, `${late} of 5 timers fired more than 20 ms late`);
});

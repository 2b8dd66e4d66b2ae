// The timer benchmark programs (testdata/progs/timer_bench.bpf.c, driven by bench/timer-runs.ts
// and bench/timer-kernel.ts) do the work the benchmark claims: N timers armed -> N callbacks, a
// ticker fires its count and never before its expiry; on tsbpf and, where reachable, the kernel.
// Counts only: speed is measured in `npm run bench`, never here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ENOENT, ENOMEM, EOPNOTSUPP } from '../src/uapi/errno.ts';
import { isBpfError } from '../src/util/errors.ts';
import type { EngineName } from '../src/runtime/engine.ts';
import { percentile, realTicker, tickRateHz, virtualArmFire } from '../bench/timer-runs.ts';
import { kernelArmFire, kernelTicker, kernelTimersAvailable } from '../bench/timer-kernel.ts';

const MS = 1_000_000;

for (const engine of ['interpreter', 'jit'] as const satisfies readonly EngineName[]) {
  describe(`timer bench programs on tsbpf (${engine})`, () => {
    /** Runs `fn`, or skips the test when this build refuses the engine. */
    async function orSkip(t: { skip(reason: string): void }, fn: () => Promise<void>): Promise<void> {
      try {
        await fn();
      } catch (e) {
        if (isBpfError(e, EOPNOTSUPP)) return t.skip(`engine '${engine}' unavailable: ${e.message}`);
        throw e;
      }
    }

    it('arms 1000 timers in one run; advancing the virtual clock fires each once, at its expiry', (t) =>
      orSkip(t, async () => {
        const v = await virtualArmFire(1000, engine);
        assert.equal(v.retval, 0);
        assert.equal(v.results.armErr, 0n);
        assert.equal(v.results.armed, 1000n);
        assert.equal(v.firedByClock, 1000);
        assert.equal(v.results.fired, 1000n);
        // On the virtual clock time stands still while the program runs and moves to each expiry.
        assert.equal(v.results.armNs, 0n);
        assert.equal(v.results.fireFirstNs, v.results.expiryNs);
        assert.equal(v.results.fireLastNs, v.results.expiryNs);
      }));

    it('stops at the first failure: keys past max_entries are -ENOENT, and only what was armed fires', (t) =>
      orSkip(t, async () => {
        const v = await virtualArmFire(150, engine, 100);
        assert.equal(v.retval, -ENOENT);
        assert.equal(v.results.armErr, BigInt(-ENOENT));
        assert.equal(v.results.armed, 100n);
        assert.equal(v.results.fired, 100n);
      }));

    it('the real-clock ticker fires its count on the grid, each firing at or after its expiry', (t) =>
      orSkip(t, async () => {
        const r = await realTicker(2 * MS, 10, engine);
        assert.equal(r.retval, 0);
        assert.equal(r.results.ticks, 10n);
        assert.equal(r.latenessNs.length, 10);
        for (const late of r.latenessNs) assert.ok(late >= 0, `a firing ${-late} ns before its expiry`);
        // The 10th grid point is 20 ms after the start, and the last firing is not earlier.
        assert.ok(r.results.tickLastNs - r.results.tickStartNs >= 20n * BigInt(MS));
        assert.ok(tickRateHz(r.results) > 0);
      }));
  });
}

describe('timer bench programs on the kernel', () => {
  it('arms timers until the kernel refuses (0 or -ENOMEM); every armed timer fires once, not before its expiry', (t) => {
    const k = kernelTimersAvailable();
    if (!k.ok) return t.skip(`kernel not available: ${k.reason}`);
    const r = kernelArmFire(50);
    assert.ok(r.retval === 0 || r.retval === -ENOMEM, `arm returned ${r.retval}`);
    assert.equal(r.results.armErr, BigInt(r.retval));
    if (r.retval === 0) assert.equal(r.results.armed, 50n);
    assert.ok(r.results.armed >= 1n, 'the kernel armed no timer at all');
    assert.equal(r.results.fired, r.results.armed);
    assert.ok(r.results.fireFirstNs >= r.results.expiryNs);
    assert.ok(r.results.fireLastNs >= r.results.fireFirstNs);
    assert.ok(r.results.armNs > 0n);
  });

  it('the ticker fires its count on the kernel, each firing at or after its expiry', (t) => {
    const k = kernelTimersAvailable();
    if (!k.ok) return t.skip(`kernel not available: ${k.reason}`);
    const r = kernelTicker(2 * MS, 10);
    assert.equal(r.retval, 0);
    assert.equal(r.results.ticks, 10n);
    assert.equal(r.latenessNs.length, 10);
    for (const late of r.latenessNs) assert.ok(late >= 0, `a firing ${-late} ns before its expiry`);
  });
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(xs, 50), 50);
    assert.equal(percentile(xs, 99), 99);
    assert.equal(percentile(xs, 100), 100);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});

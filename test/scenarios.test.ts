// Differential check against the kernel recordings: every testdata/scenarios/*.json that has a
// recorded testdata/scenarios/*.kernel.json runs on tsbpf and is compared step by step. LRU map
// dumps are compared by invariant (which element an LRU map evicts is implementation-defined):
// the same number of entries, and equal values for the keys both sides kept. Scenarios tsbpf
// cannot run yet (their object calls a helper not implemented so far, e.g. the bpf_timer helpers
// before the timer step) are reported as skipped with the refusal, never as passing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfObject } from '../src/runtime/object.ts';
import { parseScenario, runScenario, type Scenario, type ScenarioResult, type StepResult } from '../src/runtime/scenario.ts';
import { objectNameOf } from '../src/loader/data.ts';
import { BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH } from '../src/uapi/bpf.ts';
import { isBpfError } from '../src/util/errors.ts';
import { setTimeout as sleepMs } from 'node:timers/promises';
import { RealClock } from '../src/timers/real-clock.ts';
import { ENGINE_NAMES, type EngineName } from '../src/runtime/engine.ts';

const DIR = join(import.meta.dirname, '..', 'testdata', 'scenarios');
const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.kernel.json')).sort() : [];

/** Why tsbpf cannot run this object yet, or undefined when it loads. */
async function refusal(bytes: Uint8Array, name: string, engine: EngineName): Promise<string | undefined> {
  const obj = BpfObject.open(bytes, { name });
  try {
    await obj.load({ engine });
    return undefined;
  } catch (e) {
    if (isBpfError(e) && /is not supported by tsbpf/.test(e.message)) return e.message;
    return undefined; // a load failure the kernel may share: compared like any result
  } finally {
    obj.close();
  }
}

function compareDump(got: StepResult, want: StepResult, lru: boolean, where: string): void {
  if (!lru || !('entries' in got) || !('entries' in want)) {
    assert.deepEqual(got, want, where);
    return;
  }
  assert.equal(got.entries.length, want.entries.length, `${where}: LRU entry count`);
  const wantByKey = new Map(want.entries);
  for (const [k, v] of got.entries) if (wantByKey.has(k)) assert.equal(v, wantByKey.get(k), `${where}: LRU value of key ${k}`);
}

/** Compares a tsbpf result with the kernel's recording, step by step (LRU dumps by invariant). */
function assertLikeRecording(scenario: Scenario, bytes: Uint8Array, got: ScenarioResult, want: ScenarioResult): void {
  if ('load' in want || 'load' in got) {
    assert.deepEqual(got, want);
    return;
  }
  const spec = BpfObject.open(bytes).spec;
  assert.equal(got.steps.length, want.steps.length, 'number of steps');
  scenario.steps.forEach((step, i) => {
    const where = `step ${i} (${JSON.stringify(step)})`;
    const type = step.op === 'dump' ? spec.maps.get(step.map)?.type : undefined;
    const lru = type === BPF_MAP_TYPE_LRU_HASH || type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
    compareDump(got.steps[i]!, want.steps[i]!, lru, where);
  });
}

/**
 * Scenarios where tsbpf does not match the kernel yet, and why. They still run, as `todo`: the
 * output shows them, and shows when they start to pass. Each names what will close it.
 */
const KNOWN_GAPS: Readonly<Record<string, string>> = {};

for (const engine of ENGINE_NAMES) describe(`scenarios against kernel recordings (${engine})`, () => {
  if (files.length === 0) it('has scenario files', { skip: 'testdata/scenarios has no scenarios yet' }, () => {});
  for (const f of files) {
    const base = f.slice(0, -'.json'.length);
    const recording = join(DIR, `${base}.kernel.json`);
    if (!existsSync(recording)) {
      it(base, { skip: `no kernel recording (${base}.kernel.json) yet` }, () => {});
      continue;
    }
    const gap = KNOWN_GAPS[base];
    it(base, gap === undefined ? {} : { todo: gap }, async (t) => {
      const scenario = parseScenario(JSON.parse(readFileSync(join(DIR, f), 'utf8')) as unknown);
      const want = JSON.parse(readFileSync(recording, 'utf8')) as ScenarioResult;
      const objPath = join(DIR, scenario.object);
      const bytes = readFileSync(objPath);
      const why = await refusal(bytes, objectNameOf(objPath), engine);
      if (why !== undefined) {
        t.skip(`tsbpf cannot load the object yet: ${why}`);
        return;
      }
      const got = await runScenario(scenario, bytes, { objectName: objectNameOf(objPath), engine });
      assertLikeRecording(scenario, bytes, got, want);
    });
  }
});

/**
 * The scenarios with sleep steps again on a RealClock, against the same recordings: sleeps take
 * real time and timers fire from the event loop, as with `tsbpf scenario --clock real`. Only
 * scenarios sleeping at most REAL_SLEEP_LIMIT_NS in total run here (the waits are real). They
 * run one at a time: another scenario's load or runs would block the event loop and delay this
 * one's timers, which the kernel's softirq never is. Timer expiries (1-20 ms) sit far from the
 * sleeps (50 ms and more), the margin the kernel recordings rely on too.
 */
const REAL_SLEEP_LIMIT_NS = 200_000_000;
describe('scenarios with sleeps on the real clock', () => {
  for (const f of files) {
    const base = f.slice(0, -'.json'.length);
    const recording = join(DIR, `${base}.kernel.json`);
    if (!existsSync(recording)) continue;
    const scenario = parseScenario(JSON.parse(readFileSync(join(DIR, f), 'utf8')) as unknown);
    const sleptNs = scenario.steps.reduce((sum, step) => sum + (step.op === 'sleep' ? step.ns : 0), 0);
    if (sleptNs === 0) continue;
    const gap = KNOWN_GAPS[base];
    const opts = sleptNs > REAL_SLEEP_LIMIT_NS ? { skip: `sleeps ${sleptNs / 1e6} ms in total (the limit here is ${REAL_SLEEP_LIMIT_NS / 1e6} ms)` } : gap === undefined ? {} : { todo: gap };
    it(base, opts, async () => {
      const want = JSON.parse(readFileSync(recording, 'utf8')) as ScenarioResult;
      const objPath = join(DIR, scenario.object);
      const bytes = readFileSync(objPath);
      const clock = new RealClock({ keepAlive: false });
      try {
        const got = await runScenario(scenario, bytes, {
          objectName: objectNameOf(objPath), clock, sleep: (ns) => sleepMs(Number(ns / 1000n) / 1000),
        });
        assertLikeRecording(scenario, bytes, got, want);
      } finally {
        clock.close();
      }
    });
  }
});

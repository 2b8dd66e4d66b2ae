import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { notCovered, scenarios } from './catalog.ts';
import { coverage } from './coverage.ts';
import { resultProblems, scenarioProblems, type Scenario } from './format.ts';
import { kernelScenarioAvailable, runScenarioOnKernel } from './kernel.ts';
import { readmeText } from './readme.ts';
import { SCENARIO_DIR, recordingPath, scenarioJson, scenarioNames, scenarioPath, validateScenarioFile } from './scenario-files.ts';

test('every scenario file is well formed and its object exists', () => {
  const names = scenarioNames();
  assert.ok(names.length >= 60, `only ${names.length} scenario files`);
  for (const name of names) {
    const { problems } = validateScenarioFile(scenarioPath(name));
    assert.deepEqual(problems, [], name);
  }
});

test('the scenario files and the README match the catalogue (regenerate with tools/scenario/generate.ts)', () => {
  assert.deepEqual(scenarioNames(), scenarios.map((s) => s.name).sort());
  for (const s of scenarios) assert.equal(readFileSync(scenarioPath(s.name), 'utf8'), scenarioJson(s), s.name);
  assert.equal(readFileSync(`${SCENARIO_DIR}/README.md`, 'utf8'), readmeText(scenarios, notCovered));
});

test('every timer behaviour B1..B76 has a scenario or a stated reason', () => {
  const covered = new Set(scenarios.flatMap((s) => s.covers));
  const missing: string[] = [];
  for (let i = 1; i <= 76; i++) if (!covered.has(`B${i}`) && notCovered[`B${i}`] === undefined) missing.push(`B${i}`);
  if (!covered.has('B54a')) missing.push('B54a');
  assert.deepEqual(missing, []);
  for (const b of Object.keys(notCovered)) assert.ok(!covered.has(b), `${b} is both covered and listed as not covered`);
});

test('every scenario has a kernel recording of the right shape', () => {
  for (const s of scenarios) {
    const file = recordingPath(s.name);
    assert.ok(existsSync(file), `no recording for ${s.name} (npx tsx tools/scenario/record.ts ${s.name})`);
    const rec: unknown = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(resultProblems(rec, s), [], s.name);
  }
});

test('the coverage audit names existing scenarios and tests, and says why where it names none', () => {
  const names = new Set(scenarios.map((s) => s.name));
  for (const { items } of coverage) {
    for (const c of items) {
      for (const n of c.scenarios) assert.ok(names.has(n), `${c.item}: no scenario ${n}`);
      for (const f of c.tests) assert.ok(existsSync(join(SCENARIO_DIR, '..', '..', f)), `${c.item}: no file ${f}`);
      if (c.scenarios.length === 0) assert.ok(c.note !== undefined && c.note !== '', `${c.item}: no scenario and no reason`);
    }
  }
});

test('the validator rejects what the format does not allow', () => {
  const ok: Scenario = { object: 'x.bpf.o', steps: [{ op: 'run', prog: 'p', ctx: '00ff' }, { op: 'release', maps: ['m'] }] };
  assert.deepEqual(scenarioProblems(ok), []);
  const bad = (x: unknown, fragment: string): void => {
    const p = scenarioProblems(x);
    assert.ok(p.some((m) => m.includes(fragment)), `${JSON.stringify(x)}: ${JSON.stringify(p)}`);
  };
  bad([], 'JSON object');
  bad({ object: 'x', steps: [], description: 'no' }, 'unknown top-level field "description"');
  bad({ steps: [] }, '"object"');
  bad({ object: 'x', steps: [{ op: 'jump' }] }, 'unknown op');
  bad({ object: 'x', steps: [{ op: 'run', prog: 'p', ctx: '0F' }] }, 'lower-case hex');
  bad({ object: 'x', steps: [{ op: 'run', prog: 'p', data: '123' }] }, 'lower-case hex');
  bad({ object: 'x', steps: [{ op: 'run', prog: 'p', repeat: -1 }] }, '"repeat"');
  bad({ object: 'x', steps: [{ op: 'sleep' }] }, '"ns" is required');
  bad({ object: 'x', steps: [{ op: 'sleep', ns: 1.5 }] }, '"ns"');
  bad({ object: 'x', steps: [{ op: 'dump', map: 'm', key: '00' }] }, 'unknown field "key"');
  bad({ object: 'x', steps: [{ op: 'lookup', map: 'm' }] }, '"key" is required');
  bad({ object: 'x', steps: [{ op: 'update', map: 'm', key: '00', value: '00', flags: 3 }] }, '"flags"');
  bad({ object: 'x', steps: [{ op: 'release', maps: [] }] }, '"maps"');
  bad({ object: 'x', steps: [{ op: 'release', maps: ['m'] }, { op: 'dump', map: 'm' }] }, 'released');
});

test('the result validator checks shapes against the steps', () => {
  const s: Scenario = { object: 'x', steps: [{ op: 'run', prog: 'p' }, { op: 'sleep', ns: 1 }, { op: 'dump', map: 'm' }] };
  assert.deepEqual(resultProblems({ steps: [{ retval: -22 }, {}, { entries: [['00', '01']] }] }, s), []);
  assert.deepEqual(resultProblems({ load: { errno: 22 } }, s), []);
  assert.ok(resultProblems({ steps: [{ retval: 0 }, {}] }, s).length > 0);
  assert.ok(resultProblems({ steps: [{ value: '00' }, {}, { entries: [] }] }, s).length > 0);
  assert.ok(resultProblems({ steps: [{ retval: 2 ** 31 }, {}, { entries: [] }] }, s).length > 0);
  assert.ok(resultProblems({ load: { errno: 0 } }).length > 0);
});

// Re-runs a sample on the kernel (the timer sample covers release, cancel, re-arm, load refusals
// and map-in-map) and compares with the recordings.
const SAMPLE = ['timer_b1_init_after_release', 'timer_b10_cancel_pending', 'timer_b13_cancel_from_own_callback', 'timer_b26_release_cancels_pending',
  'timer_b48_percpu_array', 'timer_b72_inner_map_lifetime', 'maps_hash_syscall', 'helpers_bpf_loop', 'helpers_tail_call',
  'maps_lru_list_modes', 'programs_tc_skb_fields'];
const avail = kernelScenarioAvailable();
test('a sample of scenarios re-run on the kernel matches the recordings', { skip: avail.ok ? false : `kernel side unavailable: ${avail.reason}` }, () => {
  for (const name of SAMPLE) {
    const recorded: unknown = JSON.parse(readFileSync(recordingPath(name), 'utf8'));
    assert.deepEqual(runScenarioOnKernel(scenarioPath(name)), recorded, name);
  }
});

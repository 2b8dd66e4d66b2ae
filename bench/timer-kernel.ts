/**
 * The timer benchmark programs (testdata/progs/timer_bench.bpf.c) on the running kernel, through
 * the libbpf scenario runner (tools/scenario): BPF_PROG_TEST_RUN of the syscall programs, a real
 * sleep, then the results read back from the object's maps. Here every figure is measured by the
 * BPF code itself with bpf_ktime_get_ns(): the arming loop's duration, the span between the first
 * and the last callback of one expiry, and each ticker firing's lateness (kernel hrtimer latency).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelScenarioAvailable, runScenarioOnKernel } from '../tools/scenario/kernel.ts';
import type { ScenarioStep, StepResult } from '../tools/scenario/format.ts';
import { armArgs, decodeResults, tickArgs, TIMER_BENCH_MAX_TICKS, TIMER_BENCH_OBJECT, type TimerBenchResults } from './timer-runs.ts';

/** Whether the kernel side can run, with the reason when not (see tools/scenario/kernel.ts). */
export const kernelTimersAvailable = kernelScenarioAvailable;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * Runs one scenario of the benchmark object on the kernel and returns its step results.
 * @throws {Error} when the object does not load or a step's result is not what its op gives.
 */
function runSteps(steps: readonly ScenarioStep[]): readonly StepResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-timer-bench-'));
  try {
    const file = join(dir, 'bench.json');
    writeFileSync(file, JSON.stringify({ object: fileURLToPath(TIMER_BENCH_OBJECT), steps }));
    const r = runScenarioOnKernel(file);
    if (!('steps' in r)) throw new Error(`the kernel refused timer_bench.bpf.o: errno ${r.load.errno}`);
    return r.steps;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function retvalOf(s: StepResult | undefined): number {
  if (s === undefined || !('retval' in s)) throw new Error(`expected a program run's retval, got ${JSON.stringify(s)}`);
  return s.retval;
}

function entriesOf(s: StepResult | undefined): readonly (readonly [string, string])[] {
  if (s === undefined || !('entries' in s)) throw new Error(`expected a map dump, got ${JSON.stringify(s)}`);
  return s.entries;
}

function bssResults(s: StepResult | undefined): TimerBenchResults {
  const e = entriesOf(s)[0];
  if (e === undefined) throw new Error('the .bss dump is empty');
  return decodeResults(Buffer.from(e[1], 'hex'));
}

/** One kernel arm-then-fire round. */
export interface KernelArmFire {
  readonly requested: number;
  /** `arm`'s return value: 0, or the first failure (-ENOMEM = -12 when the kernel ran out). */
  readonly retval: number;
  readonly results: TimerBenchResults;
}

/**
 * Asks the kernel to arm `n` timers in one `arm` run (it stops at its first failure, typically
 * -ENOMEM from bpf_timer_init after a few hundred), for one expiry `delayNs` ahead; sleeps until
 * well after it and reads back how many were armed and fired, and the in-program timings.
 */
export function kernelArmFire(n: number, delayNs = 20_000_000): KernelArmFire {
  const steps = runSteps([
    { op: 'run', prog: 'arm', ctx: hex(armArgs(0, n, BigInt(delayNs))) },
    { op: 'sleep', ns: delayNs + 100_000_000 },
    { op: 'dump', map: '.bss' },
  ]);
  return { requested: n, retval: retvalOf(steps[0]), results: bssResults(steps[2]) };
}

/** The kernel ticker's run, in the shape of tsbpf's. */
export interface KernelTicker {
  readonly periodNs: number;
  readonly requested: number;
  readonly retval: number;
  readonly results: TimerBenchResults;
  readonly latenessNs: readonly number[];
}

/**
 * Runs the self-re-arming ticker on the kernel: `count` firings every `periodNs`, a sleep of the
 * nominal duration plus 200 ms, then the lateness of every firing.
 */
export function kernelTicker(periodNs: number, count: number): KernelTicker {
  if (count > TIMER_BENCH_MAX_TICKS) throw new RangeError(`at most ${TIMER_BENCH_MAX_TICKS} firings, got ${count}`);
  const steps = runSteps([
    { op: 'run', prog: 'tick_start', ctx: hex(tickArgs(BigInt(periodNs), count)) },
    { op: 'sleep', ns: periodNs * count + 200_000_000 },
    { op: 'dump', map: '.bss' },
    { op: 'dump', map: 'lateness' },
  ]);
  const results = bssResults(steps[2]);
  const kept = Math.min(Number(results.ticks), TIMER_BENCH_MAX_TICKS);
  const lateness = new Array<number>(kept).fill(Number.NaN);
  for (const [k, v] of entriesOf(steps[3])) {
    const key = Buffer.from(k, 'hex').readUInt32LE(0);
    if (key < kept) lateness[key] = Number(Buffer.from(v, 'hex').readBigInt64LE(0));
  }
  return { periodNs, requested: count, retval: retvalOf(steps[0]), results, latenessNs: lateness };
}

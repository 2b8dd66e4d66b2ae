/**
 * Timer benchmarks (`npm run bench`, or alone: `npx tsx bench/timers.ts [--json] [--quick]
 * [--filter NAME]`), all on testdata/progs/timer_bench.bpf.c:
 * - virtual clock: timers armed per second by BPF code (bpf_timer_init + set_callback + start in a
 *   bpf_loop, one program run) and callbacks fired per second when the clock advances past them
 *   all, with 10k and 1M timers (host time around the run and around the advance). After
 *   WARMUP_RUNS warm-up runs of the same size (capped at 100k timers), the figure is the median of
 *   several runs (ARM_ROUNDS), as the kernel's is: a single run mostly measured the host's warm-up
 *   (its JIT tiering and heap growth), which varied several-fold from run to run;
 * - real clock: a self-re-arming timer on an absolute grid (1 ms and 100 us), its achieved rate and
 *   the lateness of each firing (bpf_ktime_get_ns() in the callback minus the programmed expiry);
 * - the same programs on the kernel in the same run (bench/timer-kernel.ts), with ratios
 *   tsbpf / kernel. The kernel refuses bpf_timer_init with -ENOMEM after a few hundred live timers
 *   (kmalloc_nolock), so its arm and fire figures are per timer at the size it sustained, which
 *   each row states; they are the median of several rounds.
 */
import { parseArgs } from 'node:util';
import type { EngineName } from '../src/runtime/engine.ts';
import { isBpfError } from '../src/util/errors.ts';
import { EOPNOTSUPP } from '../src/uapi/errno.ts';
import { kernelArmFire, kernelTicker, kernelTimersAvailable, type KernelArmFire } from './timer-kernel.ts';
import { percentile, realTicker, tickRateHz, virtualArmFire, type TickerRun } from './timer-runs.ts';

/** One arm or fire row: ns per timer on tsbpf and on the kernel. */
export interface TimerThroughputRow {
  readonly bench: string;
  readonly engine: string;
  readonly clock: 'virtual';
  readonly timers: number;
  /** Host ns per timer armed (or fired). */
  readonly ns: number;
  readonly per_sec: number;
  /** Host time of the whole arming run (or advance), the median run. */
  readonly total_ms: number;
  /** Measured runs (the figures are their medians). */
  readonly rounds: number;
  /** The kernel's ns per timer (median of its rounds), or null without a kernel. */
  readonly kernel_ns: number | null;
  /** Timers the kernel armed before -ENOMEM (median, min, max of the rounds). */
  readonly kernel_timers: number | null;
  readonly kernel_timers_min: number | null;
  readonly kernel_timers_max: number | null;
  readonly ratio: number | null;
}

/** One real-clock ticker row: lateness percentiles and rate on tsbpf and on the kernel. */
export interface TimerTickerRow {
  readonly bench: string;
  readonly engine: string;
  readonly clock: 'real';
  readonly period_ns: number;
  readonly firings: number;
  /** Lateness p50 (ns); p99 and max follow. */
  readonly ns: number;
  readonly p99_ns: number;
  readonly max_ns: number;
  readonly rate_hz: number;
  readonly kernel_ns: number | null;
  readonly kernel_p99_ns: number | null;
  readonly kernel_max_ns: number | null;
  readonly kernel_rate_hz: number | null;
  readonly kernel_firings: number | null;
  /** tsbpf / kernel of the p50 and the p99 lateness. */
  readonly ratio: number | null;
  readonly ratio_p99: number | null;
}

export type TimerBenchRow = TimerThroughputRow | TimerTickerRow;

/** Options of {@link timerBench}. */
export interface TimerBenchOptions {
  readonly json?: boolean;
  /** Run only benches whose name contains this. */
  readonly filter?: string;
  /** 10k timers only, shorter tickers, fewer kernel rounds. */
  readonly quick?: boolean;
  /** Engines to try (default jit, the runtime's default, then interpreter; one the runtime refuses is skipped, saying why). */
  readonly engines?: readonly EngineName[];
}

const KERNEL_ARM_REQUEST = 10_000;
/** Measured arm-then-fire runs per size and engine (after one warm-up run), by timers per run. */
const ARM_ROUNDS = (n: number, quick: boolean): number => (n >= 1_000_000 ? 2 : quick ? 5 : 9);
/** Unmeasured runs before the measured ones, each of the measured size but at most WARMUP_MAX_TIMERS. */
const WARMUP_RUNS = 3;
const WARMUP_MAX_TIMERS = 100_000;
const sizeName = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}m` : `${n / 1000}k`);
const periodName = (ns: number): string => (ns >= 1_000_000 ? `${ns / 1_000_000}ms` : `${ns / 1000}us`);
const round1 = (x: number): number => Math.round(x * 10) / 10;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[(s.length - 1) >> 1]!;
}

/** Kernel per-timer figures over `rounds` rounds, or the reason there are none. */
interface KernelThroughput {
  readonly armNs: number | null;
  readonly fireNs: number | null;
  readonly armed: readonly number[];
}

function kernelThroughput(rounds: number): KernelThroughput {
  const runs: KernelArmFire[] = [];
  for (let i = 0; i < rounds; i++) runs.push(kernelArmFire(KERNEL_ARM_REQUEST));
  for (const r of runs) {
    if (r.retval !== 0 && r.retval !== -12) throw new Error(`kernel arm: unexpected failure ${r.retval}`);
    if (r.results.fired !== r.results.armed) throw new Error(`kernel: ${r.results.armed} timers armed but ${r.results.fired} fired`);
  }
  const arm = runs.filter((r) => r.results.armed > 0n).map((r) => Number(r.results.armNs) / Number(r.results.armed));
  const fire = runs.filter((r) => r.results.fired > 1n).map((r) => Number(r.results.fireLastNs - r.results.fireFirstNs) / Number(r.results.fired - 1n));
  return { armNs: arm.length ? median(arm) : null, fireNs: fire.length ? median(fire) : null, armed: runs.map((r) => Number(r.results.armed)) };
}

/**
 * Whether `engine` loads the benchmark object (the reason when the runtime refuses it); the check
 * is also the warm-up, so the measured runs do not include the host JIT's first compilations.
 */
async function engineUsable(engine: EngineName): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await virtualArmFire(2000, engine);
    return { ok: true };
  } catch (e) {
    if (isBpfError(e, EOPNOTSUPP)) return { ok: false, reason: e.message };
    throw e;
  }
}

/** `rounds` measured arm-then-fire runs of n timers after the warm-up runs: each run checked, host times in ns. */
async function armFireRuns(engine: EngineName, n: number, rounds: number): Promise<{ armNs: number[]; fireNs: number[] }> {
  for (let i = 0; i < WARMUP_RUNS; i++) await virtualArmFire(Math.min(n, WARMUP_MAX_TIMERS), engine);
  const armNs: number[] = [];
  const fireNs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const v = await virtualArmFire(n, engine);
    const { results: r } = v;
    if (v.retval !== 0 || r.armed !== BigInt(n) || r.fired !== BigInt(n) || v.firedByClock !== n) {
      throw new Error(`timers ${n} (${engine}): retval ${v.retval}, armed ${r.armed}, fired ${r.fired} (clock ${v.firedByClock}), expected ${n} each`);
    }
    armNs.push(v.armHostNs);
    fireNs.push(v.fireHostNs);
  }
  return { armNs, fireNs };
}

function throughputRows(engine: EngineName, n: number, runs: { armNs: number[]; fireNs: number[] }, k: KernelThroughput | null): TimerThroughputRow[] {
  const armed = k?.armed ?? [];
  const common = {
    engine, clock: 'virtual' as const, timers: n, rounds: runs.armNs.length,
    kernel_timers: armed.length ? median(armed) : null,
    kernel_timers_min: armed.length ? Math.min(...armed) : null,
    kernel_timers_max: armed.length ? Math.max(...armed) : null,
  };
  const row = (bench: string, hostNs: number, kernelNs: number | null): TimerThroughputRow => {
    const ns = hostNs / n;
    return {
      bench, ...common, ns: round1(ns), per_sec: Math.round(1e9 / ns), total_ms: round1(hostNs / 1e6),
      kernel_ns: kernelNs === null ? null : round1(kernelNs), ratio: kernelNs ? round1(ns / kernelNs) : null,
    };
  };
  return [row(`timer_arm_${sizeName(n)}`, median(runs.armNs), k?.armNs ?? null), row(`timer_fire_${sizeName(n)}`, median(runs.fireNs), k?.fireNs ?? null)];
}

function latenessStats(lateness: readonly number[]): { p50: number; p99: number; max: number } {
  const s = [...lateness].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN };
}

function tickerRow(engine: EngineName, t: TickerRun, k: ReturnType<typeof kernelTicker> | null): TimerTickerRow {
  if (t.retval !== 0 || t.results.ticks !== BigInt(t.requested)) {
    throw new Error(`ticker ${t.periodNs} ns (${engine}): retval ${t.retval}, ${t.results.ticks} of ${t.requested} firings`);
  }
  const ts = latenessStats(t.latenessNs);
  const ks = k === null ? null : latenessStats(k.latenessNs);
  return {
    bench: `timer_tick_${periodName(t.periodNs)}`, engine, clock: 'real', period_ns: t.periodNs, firings: t.requested,
    ns: ts.p50, p99_ns: ts.p99, max_ns: ts.max, rate_hz: round1(tickRateHz(t.results)),
    kernel_ns: ks?.p50 ?? null, kernel_p99_ns: ks?.p99 ?? null, kernel_max_ns: ks?.max ?? null,
    kernel_rate_hz: k === null ? null : round1(tickRateHz(k.results)), kernel_firings: k === null ? null : Number(k.results.ticks),
    ratio: ks && ks.p50 > 0 ? round1(ts.p50 / ks.p50) : null,
    ratio_p99: ks && ks.p99 > 0 ? round1(ts.p99 / ks.p99) : null,
  };
}

/**
 * Measures every selected timer bench on each usable engine and, where the kernel is reachable,
 * on the kernel. `note` receives human-readable remarks (skipped engines, no kernel).
 */
export async function timerBenchRows(options: TimerBenchOptions = {}, note: (line: string) => void = () => {}): Promise<TimerBenchRow[]> {
  const quick = options.quick ?? false;
  const selected = (...names: string[]): boolean => options.filter === undefined || names.some((n) => n.includes(options.filter!));
  const sizes = (quick ? [10_000] : [10_000, 1_000_000]).filter((n) => selected(`timer_arm_${sizeName(n)}`, `timer_fire_${sizeName(n)}`));
  const tickers = (quick ? [[1_000_000, 200], [100_000, 1000]] : [[1_000_000, 1000], [100_000, 5000]]).filter(([p]) => selected(`timer_tick_${periodName(p!)}`));
  const kernel = kernelTimersAvailable();
  if (!kernel.ok) note(`kernel timer figures unavailable: ${kernel.reason}`);
  const kThroughput = kernel.ok && sizes.length > 0 ? kernelThroughput(quick ? 3 : 5) : null;
  const kTickers = new Map(tickers.map(([p, c]) => [p!, kernel.ok ? kernelTicker(p!, c!) : null]));
  const rows: TimerBenchRow[] = [];
  for (const engine of options.engines ?? ['jit', 'interpreter']) {
    const usable = await engineUsable(engine);
    if (!usable.ok) {
      note(`timers on engine '${engine}' skipped: ${usable.reason}`);
      continue;
    }
    for (const n of sizes) rows.push(...throughputRows(engine, n, await armFireRuns(engine, n, ARM_ROUNDS(n, quick)), kThroughput));
    for (const [p, c] of tickers) rows.push(tickerRow(engine, await realTicker(p!, c!, engine), kTickers.get(p!) ?? null));
  }
  return rows;
}

function fmtNs(ns: number | null): string {
  if (ns === null || Number.isNaN(ns)) return '-';
  if (Math.abs(ns) < 1e3) return `${ns.toFixed(0)} ns`;
  if (Math.abs(ns) < 1e6) return `${(ns / 1e3).toFixed(1)} us`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

function fmtRate(perSec: number): string {
  return perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)}M/s` : perSec >= 1e3 ? `${(perSec / 1e3).toFixed(1)}k/s` : `${perSec.toFixed(1)}/s`;
}

const W = 50;

/** The rows as a table. */
export function formatTimerTable(rows: readonly TimerBenchRow[]): string[] {
  const out = [`${'timer bench'.padEnd(16)} ${'engine'.padEnd(12)} ${'tsbpf'.padEnd(W)} ${'kernel'.padEnd(W)} ratio`];
  for (const r of rows) {
    if (r.clock === 'virtual') {
      const kernelTimers = r.kernel_timers === null ? '' : ` at ${r.kernel_timers} timers (${r.kernel_timers_min}..${r.kernel_timers_max})`;
      const ts = `${fmtNs(r.ns)}/timer, ${fmtRate(r.per_sec)}, ${r.timers} in ${r.total_ms} ms (med of ${r.rounds})`;
      const k = r.kernel_ns === null ? '-' : `${fmtNs(r.kernel_ns)}/timer${kernelTimers}`;
      out.push(`${r.bench.padEnd(16)} ${r.engine.padEnd(12)} ${ts.padEnd(W)} ${k.padEnd(W)} ${r.ratio === null ? '-' : `${r.ratio}x`}`);
    } else {
      const ts = `${r.rate_hz} Hz, late p50 ${fmtNs(r.ns)} p99 ${fmtNs(r.p99_ns)}`;
      const k = r.kernel_ns === null ? '-' : `${r.kernel_rate_hz} Hz, late p50 ${fmtNs(r.kernel_ns)} p99 ${fmtNs(r.kernel_p99_ns)}`;
      const ratio = r.ratio === null ? '-' : `p50 ${r.ratio}x, p99 ${r.ratio_p99}x`;
      out.push(`${r.bench.padEnd(16)} ${r.engine.padEnd(12)} ${ts.padEnd(W)} ${k.padEnd(W)} ${ratio}`);
    }
  }
  return out;
}

/** Runs the timer benches and prints them: one JSON object per line, or a table with remarks. */
export async function timerBench(options: TimerBenchOptions = {}): Promise<TimerBenchRow[]> {
  const notes: string[] = [];
  const rows = await timerBenchRows(options, (l) => notes.push(l));
  if (options.json) {
    for (const r of rows) console.log(JSON.stringify(r));
  } else {
    console.log('');
    for (const l of [...notes, ...formatTimerTable(rows)]) console.log(l);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, filter: { type: 'string' } } });
  await timerBench(values);
}

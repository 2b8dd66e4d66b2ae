/**
 * The timer benchmark programs (testdata/progs/timer_bench.bpf.c) on tsbpf: arming and firing
 * many timers on the virtual clock, and a self-re-arming timer on the real clock. Shared by
 * bench/timers.ts (which times them) and test/bench-timers.test.ts (which checks their counts).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BpfObject } from '../src/runtime/object.ts';
import type { EngineName } from '../src/runtime/engine.ts';
import type { MapHandle } from '../src/runtime/map-handle.ts';
import { VirtualClock } from '../src/timers/virtual-clock.ts';
import { RealClock } from '../src/timers/real-clock.ts';
import type { Clock } from '../src/timers/clock.ts';

/** The compiled benchmark object (rebuild: `make -C testdata progs/timer_bench.bpf.o`). */
export const TIMER_BENCH_OBJECT = new URL('../testdata/progs/timer_bench.bpf.o', import.meta.url);
/** max_entries of the object's `timers` map as compiled (the kernel side uses it as is). */
export const TIMER_BENCH_MAX_TIMERS = 1 << 20;
/** max_entries of the object's `lateness` map: the most ticker firings whose lateness is kept. */
export const TIMER_BENCH_MAX_TICKS = 8192;

/** The object's `struct results` (its only .bss variable), decoded. */
export interface TimerBenchResults {
  readonly armed: bigint;
  /** The first failure of the last `arm` run, as the helper returned it (-errno), or 0. */
  readonly armErr: bigint;
  /** bpf_ktime_get_ns() spent in the arming loops (0 on the virtual clock: time does not move). */
  readonly armNs: bigint;
  readonly expiryNs: bigint;
  readonly fired: bigint;
  readonly fireFirstNs: bigint;
  readonly fireLastNs: bigint;
  readonly tickStartNs: bigint;
  readonly tickLastNs: bigint;
  readonly ticks: bigint;
}

/** Decodes `struct results` from the bytes of the .bss map's value. */
export function decodeResults(bss: Uint8Array): TimerBenchResults {
  const dv = new DataView(bss.buffer, bss.byteOffset, bss.byteLength);
  const u = (i: number): bigint => dv.getBigUint64(8 * i, true);
  return {
    armed: u(0), armErr: BigInt.asIntN(64, u(1)), armNs: u(2), expiryNs: u(3), fired: u(4),
    fireFirstNs: u(5), fireLastNs: u(6), tickStartNs: u(7), tickLastNs: u(8), ticks: u(9),
  };
}

/** ctx of the `arm` program: arm keys first..first+n-1 for the expiry now + delayNs. */
export function armArgs(first: number, n: number, delayNs: bigint): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, first, true);
  dv.setUint32(4, n, true);
  dv.setBigUint64(8, delayNs, true);
  return out;
}

/** ctx of the `tick_start` program: fire `count` times, every periodNs. */
export function tickArgs(periodNs: bigint, count: number): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, periodNs, true);
  dv.setBigUint64(8, BigInt(count), true);
  return out;
}

/** Nearest-rank percentile (p in 0..100) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

async function openLoaded(clock: Clock, engine: EngineName, maxTimers: number): Promise<BpfObject> {
  const obj = BpfObject.open(readFileSync(TIMER_BENCH_OBJECT), { name: 'timer_bench' });
  obj.spec.maps.get('timers')!.maxEntries = maxTimers;
  await obj.load({ clock, engine });
  return obj;
}

function results(obj: BpfObject): TimerBenchResults {
  return decodeResults(obj.map('.bss').lookup(new Uint8Array(4))!);
}

/** One arm-then-fire measurement on the virtual clock. */
export interface VirtualArmFire {
  readonly engine: EngineName;
  /** Timers asked for (and the `timers` map's max_entries, unless maxEntries said otherwise). */
  readonly requested: number;
  /** `arm`'s return value: 0, or the first helper failure (-errno). */
  readonly retval: number;
  readonly results: TimerBenchResults;
  /** Callbacks the clock fired while advancing past the expiry. */
  readonly firedByClock: number;
  /** Host time of the `arm` run and of the advance that fired everything. */
  readonly armHostNs: number;
  readonly fireHostNs: number;
}

/**
 * Arms `n` timers in one run of `arm` (bpf_loop over init + set_callback + start, all for the same
 * expiry 1 ms ahead), then advances the virtual clock past it, timing both with the host clock.
 * `maxEntries` sizes the `timers` map (default n).
 */
export async function virtualArmFire(n: number, engine: EngineName, maxEntries = n): Promise<VirtualArmFire> {
  const clock = new VirtualClock({ maxFirings: n + 1 });
  const obj = await openLoaded(clock, engine, maxEntries);
  try {
    const delayNs = 1_000_000n;
    const ctx = armArgs(0, n, delayNs);
    const t0 = process.hrtime.bigint();
    const { retval } = obj.program('arm').run({ ctx });
    const t1 = process.hrtime.bigint();
    const firedByClock = clock.advance(2n * delayNs);
    const t2 = process.hrtime.bigint();
    return { engine, requested: n, retval, results: results(obj), firedByClock, armHostNs: Number(t1 - t0), fireHostNs: Number(t2 - t1) };
  } finally {
    obj.runtime.close();
    obj.close();
    clock.close();
  }
}

/** A self-re-arming timer's run: every firing's lateness (callback time minus programmed expiry). */
export interface TickerRun {
  readonly periodNs: number;
  readonly requested: number;
  /** `tick_start`'s return value (0, or the failing helper's -errno). */
  readonly retval: number;
  readonly results: TimerBenchResults;
  /** Lateness of firing k in ns (signed: a negative value would be a firing before its expiry). */
  readonly latenessNs: readonly number[];
}

/** Firings per second achieved: ticks over the time from arming to the last firing. */
export function tickRateHz(r: TimerBenchResults): number {
  const span = Number(r.tickLastNs - r.tickStartNs);
  return span > 0 ? (Number(r.ticks) * 1e9) / span : Number.NaN;
}

/** Reads lateness[0..n-1] of a loaded object. */
function readLateness(map: MapHandle, n: number): number[] {
  const out: number[] = [];
  const key = new Uint8Array(4);
  const kv = new DataView(key.buffer);
  for (let k = 0; k < n; k++) {
    kv.setUint32(0, k, true);
    const v = map.lookup(key)!;
    out.push(Number(new DataView(v.buffer, v.byteOffset, 8).getBigInt64(0, true)));
  }
  return out;
}

/**
 * Runs the ticker on tsbpf's real clock: `count` firings every `periodNs` on an absolute grid,
 * waiting on the host event loop until the last one (or until a deadline of three times the
 * nominal duration plus one second, after which what fired is reported).
 */
export async function realTicker(periodNs: number, count: number, engine: EngineName): Promise<TickerRun> {
  if (count > TIMER_BENCH_MAX_TICKS) throw new RangeError(`at most ${TIMER_BENCH_MAX_TICKS} firings, got ${count}`);
  const clock = new RealClock();
  const obj = await openLoaded(clock, engine, 1);
  try {
    const { retval } = obj.program('tick_start').run({ ctx: tickArgs(BigInt(periodNs), count) });
    const deadline = performance.now() + (3 * periodNs * count) / 1e6 + 1000;
    while (retval === 0 && results(obj).ticks < BigInt(count) && performance.now() < deadline) {
      await sleep(Math.max(5, Math.min(50, (periodNs * count) / 1e6 / 10)));
    }
    const r = results(obj);
    const kept = Math.min(Number(r.ticks), TIMER_BENCH_MAX_TICKS);
    return { periodNs, requested: count, retval, results: r, latenessNs: readLateness(obj.map('lateness'), kept) };
  } finally {
    obj.runtime.close();
    obj.close();
    clock.close();
  }
}

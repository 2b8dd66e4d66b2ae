/**
 * @module tools/scenario/define
 * Building blocks for the scenario catalogue (catalog-*.ts): little-endian hex encoders and step
 * constructors. The catalogue is the source of testdata/scenarios/*.json (generate.ts writes them).
 */
import type { ScenarioStep } from './format.ts';

/** One scenario of the catalogue: written to testdata/scenarios/<name>.json. */
export interface ScenarioDef {
  readonly name: string;
  /** Object file name in testdata/scenarios/. */
  readonly object: string;
  /** Behaviour ids covered (bpf-timer.md §10 `B..`, or `maps:`/`helpers:` topics of issue 4). */
  readonly covers: readonly string[];
  /** One or two sentences: what the scenario shows; goes into testdata/scenarios/README.md. */
  readonly description: string;
  readonly steps: readonly ScenarioStep[];
}

/** Little-endian hex of an unsigned integer of `bytes` bytes (negative bigints: two's complement). */
export function le(value: number | bigint, bytes: number): string {
  let v = BigInt.asUintN(bytes * 8, BigInt(value));
  let s = '';
  for (let i = 0; i < bytes; i++) {
    s += (v & 0xffn).toString(16).padStart(2, '0');
    v >>= 8n;
  }
  return s;
}
export const u8 = (v: number): string => le(v, 1);
export const u16 = (v: number): string => le(v, 2);
export const u32 = (v: number | bigint): string => le(v, 4);
export const u64 = (v: number | bigint): string => le(v, 8);
export const zeros = (bytes: number): string => '00'.repeat(bytes);

export const MS = 1_000_000;
/** The sleep between arming (timers at 1-20 ms) and looking: far from every expiry. */
export const SETTLE_NS = 50 * MS;

export const run = (prog: string, ctx?: string, extra: { data?: string; repeat?: number } = {}): ScenarioStep =>
  ctx === undefined ? { op: 'run', prog, ...extra } : { op: 'run', prog, ctx, ...extra };
export const sleep = (ns: number = SETTLE_NS): ScenarioStep => ({ op: 'sleep', ns });
export const dump = (map: string): ScenarioStep => ({ op: 'dump', map });
export const lookup = (map: string, key: string): ScenarioStep => ({ op: 'lookup', map, key });
export const update = (map: string, key: string, value: string, flags?: number): ScenarioStep =>
  flags === undefined ? { op: 'update', map, key, value } : { op: 'update', map, key, value, flags };
export const del = (map: string, key: string): ScenarioStep => ({ op: 'delete', map, key });
export const release = (...maps: string[]): ScenarioStep => ({ op: 'release', maps });

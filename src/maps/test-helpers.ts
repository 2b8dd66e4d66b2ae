/**
 * Test helpers for src/maps (not part of the library): byte builders, a fake special-fields hook,
 * hand-built BtfRecords, and the kernel-differential comparison of map op sequences.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { BtfRecord, SpecialFieldKind } from '../btf/special-fields.ts';
import { BPF_SPIN_LOCK, BPF_TIMER, EMPTY_RECORD } from '../btf/special-fields.ts';
import { kernelAvailable } from '../../tools/kernel/runner.ts';
import type { MapOp, OpResult, OpsMap, OpsResult } from '../../tools/kernel/map-ops.ts';
import { runOpsOnKernel, runOpsOnTsbpf } from '../../tools/kernel/map-ops.ts';
import type { BpfMap, SpecialFieldsHooks } from './map.ts';
import { BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS } from '../uapi/bpf.ts';

export const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
export const u64 = (n: number | bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const hu32 = (n: number): string => hex(u32(n));
export const hu64 = (n: number | bigint): string => hex(u64(n));

/** Records every freeFields call as [map name, value pointer]. */
export class FakeHooks implements SpecialFieldsHooks {
  readonly calls: [string, bigint][] = [];
  freeFields(map: BpfMap, valuePtr: bigint): void {
    this.calls.push([map.name, valuePtr]);
  }
}

/** A BtfRecord with the given fields, as findSpecialFields would build it. */
export function record(fields: { kind: SpecialFieldKind; offset: number; size: number }[]): BtfRecord {
  const off = (k: SpecialFieldKind): number => fields.find((f) => f.kind === k)?.offset ?? -1;
  let mask = 0;
  for (const f of fields) mask |= f.kind === 'timer' ? BPF_TIMER : f.kind === 'spin_lock' ? BPF_SPIN_LOCK : 0;
  return { ...EMPTY_RECORD, fields, fieldMask: mask, timerOff: off('timer'), spinLockOff: off('spin_lock'), wqOff: off('wq') };
}

/** Skips the test, saying why, when the kernel cannot be used. */
export function needKernel(t: TestContext): boolean {
  const k = kernelAvailable();
  if (!k.ok) t.skip(`kernel not available: ${k.reason}`);
  return k.ok;
}

/**
 * Runs the sequence on the kernel and on tsbpf (with the kernel's CPU count) and asserts equal
 * results, op by op. `ignore` lists op indices compared only by errno.
 */
export function assertSameAsKernel(maps: readonly OpsMap[], ops: readonly MapOp[], ignore: ReadonlySet<number> = new Set()): void {
  const kernel = runOpsOnKernel(maps, ops);
  const k = { ...kernel, ops: innerIdsAsIndices(kernel, maps, ops) };
  const t0 = runOpsOnTsbpf(maps, ops, k.cpus);
  const t = { ...t0, ops: innerIdsAsIndices(t0, maps, ops) };
  assert.deepEqual(t.maps, k.maps, 'map creation errnos');
  k.ops.forEach((ko, i) => {
    const to = t.ops[i]!;
    const what = `op ${i}: ${JSON.stringify(ops[i])}`;
    if (ignore.has(i)) assert.equal(to.err, ko.err, what);
    else assert.deepEqual(to, ko, what);
  });
}

/**
 * Map-in-map lookups return inner maps' ids, which differ between the kernel and tsbpf: rewrites
 * each 4-byte id in the values of ops on array/hash of maps as the index of the map it names
 * (0xffffffff for an id of no map in the sequence).
 */
export function innerIdsAsIndices(r: OpsResult, maps: readonly OpsMap[], ops: readonly MapOp[]): OpResult[] {
  const index = new Map(r.ids.map((id, i) => [id, i]));
  const rewrite = (h: string | undefined): string | undefined => {
    if (h === undefined) return undefined;
    let out = '';
    for (let i = 0; i < h.length; i += 8) {
      const id = Buffer.from(h.slice(i, i + 8), 'hex').readUInt32LE(0);
      out += hu32(index.get(id) ?? 0xffffffff);
    }
    return out;
  };
  return r.ops.map((o, i) => {
    const type = maps[ops[i]!.map]?.type;
    if (type !== BPF_MAP_TYPE_ARRAY_OF_MAPS && type !== BPF_MAP_TYPE_HASH_OF_MAPS) return o;
    const value = rewrite(o.value);
    const values = rewrite(o.values);
    return { ...o, ...(value !== undefined ? { value } : {}), ...(values !== undefined ? { values } : {}) };
  });
}

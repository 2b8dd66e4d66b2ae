/**
 * @module tools/kernel/map-ops
 * Differential map testing: the same user-space map operations on the kernel (through
 * tools/kernel/map-ops.c, built on first use into `.cache/map-ops`) and on tsbpf's maps, with the
 * results in one comparable shape. Node only; not part of the library.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMap } from '../../src/maps/create.ts';
import type { BpfMap } from '../../src/maps/map.ts';
import { ArrayOfMapsMap, HashOfMapsMap } from '../../src/maps/map-in-map.ts';
import { ENOSYS } from '../../src/uapi/errno.ts';
import { BpfError, InternalError, isBpfError } from '../../src/util/errors.ts';
import { AddressSpace } from '../../src/vm/memory.ts';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'map-ops.c');
export const MAP_OPS_BINARY = join(here, '..', '..', '.cache', 'map-ops');

/** A map to create: BPF_MAP_CREATE's fields; `inner` is the index of an earlier map used as the template. */
export interface OpsMap {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly inner?: number;
  /** map_extra (bloom filters: the number of hash functions). */
  readonly mapExtra?: bigint;
}

/** One user-space operation; hex strings, '-' for a NULL pointer. */
export type MapOp =
  | { readonly op: 'update'; readonly map: number; readonly key: string; readonly value: string; readonly flags?: number }
  | { readonly op: 'update_fd'; readonly map: number; readonly key: string; readonly inner: number; readonly flags?: number }
  | { readonly op: 'lookup' | 'lookup_and_delete'; readonly map: number; readonly key: string; readonly flags?: number }
  | { readonly op: 'delete' | 'next'; readonly map: number; readonly key: string }
  | { readonly op: 'freeze'; readonly map: number }
  | { readonly op: 'lookup_batch' | 'lookup_and_delete_batch'; readonly map: number; readonly inBatch: string; readonly count: number;
      readonly elemFlags?: number; readonly flags?: number; readonly tokenSize: number }
  | { readonly op: 'update_batch'; readonly map: number; readonly keys: string; readonly values: string; readonly count: number; readonly elemFlags?: number }
  /** update_batch on a map-in-map: the values are the fds of maps `inners` (indices; -1: an fd that is not a map). */
  | { readonly op: 'update_batch_fd'; readonly map: number; readonly keys: string; readonly inners: readonly number[]; readonly count: number; readonly elemFlags?: number }
  | { readonly op: 'delete_batch'; readonly map: number; readonly keys: string; readonly count: number; readonly elemFlags?: number };

/** One op's result: err 0 or a positive errno (-1: the map does not exist). */
export interface OpResult {
  readonly err: number;
  readonly value?: string;
  readonly key?: string;
  readonly count?: number;
  readonly keys?: string;
  readonly values?: string;
  /** out_batch; undefined when left untouched. */
  readonly out?: string;
}

export interface OpsResult {
  readonly cpus: number;
  /** Per map: 0 (created) or the creation errno. */
  readonly maps: readonly number[];
  /** Per map: its id (0 when not created); map-in-map lookups return inner maps' ids. */
  readonly ids: readonly number[];
  readonly ops: readonly OpResult[];
}

function build(): string {
  if (existsSync(MAP_OPS_BINARY) && statSync(MAP_OPS_BINARY).mtimeMs >= statSync(source).mtimeMs) return MAP_OPS_BINARY;
  mkdirSync(dirname(MAP_OPS_BINARY), { recursive: true });
  const tmp = `${MAP_OPS_BINARY}.${process.pid}.tmp`;
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', tmp, source], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new BpfError(ENOSYS, `cannot build ${source}: ${r.error?.message ?? r.stderr}`);
  }
  renameSync(tmp, MAP_OPS_BINARY);
  return MAP_OPS_BINARY;
}

function opLine(o: MapOp): string {
  switch (o.op) {
    case 'update': return `update ${o.map} ${o.key} ${o.value} ${o.flags ?? 0}`;
    case 'update_fd': return `update_fd ${o.map} ${o.key} ${o.inner} ${o.flags ?? 0}`;
    case 'lookup': case 'lookup_and_delete': return `${o.op} ${o.map} ${o.key} ${o.flags ?? 0}`;
    case 'delete': case 'next': return `${o.op} ${o.map} ${o.key}`;
    case 'freeze': return `freeze ${o.map}`;
    case 'lookup_batch': case 'lookup_and_delete_batch':
      return `${o.op} ${o.map} ${o.inBatch} ${o.count} ${o.elemFlags ?? 0} ${o.flags ?? 0} ${o.tokenSize}`;
    case 'update_batch': return `update_batch ${o.map} ${o.keys} ${o.values} ${o.count} ${o.elemFlags ?? 0}`;
    case 'update_batch_fd': return `update_batch_fd ${o.map} ${o.keys} ${o.inners.map((i) => (i < 0 ? 'x' : String(i))).join(',')} ${o.count} ${o.elemFlags ?? 0}`;
    case 'delete_batch': return `delete_batch ${o.map} ${o.keys} ${o.count} ${o.elemFlags ?? 0}`;
  }
}

/**
 * Runs the maps and ops on the kernel.
 * @throws {BpfError} ENOSYS when the tool cannot be built; {InternalError} on unreadable output.
 */
export function runOpsOnKernel(maps: readonly OpsMap[], ops: readonly MapOp[]): OpsResult {
  const bin = build();
  const text = [
    ...maps.map((m) => `map ${m.type} ${m.keySize} ${m.valueSize} ${m.maxEntries} ${m.flags ?? 0}${m.inner !== undefined ? ` ${m.inner}` : ''}${m.mapExtra !== undefined ? ` extra=${m.mapExtra}` : ''}`),
    ...ops.map(opLine),
  ].join('\n') + '\n';
  const r = spawnSync(bin, [], { input: text, encoding: 'utf8', maxBuffer: 1 << 26 });
  let out: unknown;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    throw new InternalError(`map-ops printed no JSON: ${r.stdout.slice(0, 200)} ${r.stderr}`);
  }
  const o = out as OpsResult & { error?: string };
  if (o.error !== undefined) throw new InternalError(`map-ops rejected the spec: ${o.error}`);
  return {
    cpus: o.cpus, maps: o.maps, ids: o.ids,
    ops: o.ops.map((x) => {
      const { out: tok, ...rest } = x;
      return tok === undefined || /^(ff)*$/.test(tok) ? rest : { ...rest, out: tok };
    }),
  };
}

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const bytes = (h: string): Uint8Array | undefined => (h === '-' ? undefined : Uint8Array.from(Buffer.from(h, 'hex')));

/** Applies the same maps and ops to tsbpf (nCpus virtual CPUs), in the kernel tool's result shape. */
export function runOpsOnTsbpf(maps: readonly OpsMap[], ops: readonly MapOp[], nCpus: number): OpsResult {
  const space = new AddressSpace();
  const made: (BpfMap | undefined)[] = [];
  const errs: number[] = [];
  maps.forEach((m, i) => {
    try {
      const inner = m.inner !== undefined ? made[m.inner] : undefined;
      made.push(createMap(space, { ...m, name: `m${i}`, nCpus, id: i + 1, ...(inner !== undefined ? { innerMapTemplate: inner } : {}) }));
      errs.push(0);
    } catch (e) {
      if (!isBpfError(e)) throw e;
      made.push(undefined);
      errs.push(e.errno);
    }
  });
  const results = ops.map((o): OpResult => {
    const m = made[o.map];
    if (m === undefined) return { err: -1 };
    const res = (v: Uint8Array | number, field: 'value' | 'key'): OpResult => (typeof v === 'number' ? { err: -v } : { err: 0, [field]: hexOf(v) });
    switch (o.op) {
      case 'update': {
        try {
          return { err: -m.update(bytes(o.key), bytes(o.value) ?? new Uint8Array(0), o.flags ?? 0) };
        } catch (e) {
          // A value tsbpf refuses with a typed error (a devmap entry's program fd) has the kernel's errno.
          if (isBpfError(e) && bytes(o.key)?.length === m.keySize) return { err: e.errno };
          throw e;
        }
      }
      case 'update_fd': {
        const inner = made[o.inner];
        if (inner === undefined) return { err: 9 };
        const key = bytes(o.key) ?? new Uint8Array(0);
        if (m instanceof ArrayOfMapsMap || m instanceof HashOfMapsMap) return { err: -m.updateInner(key, inner, o.flags ?? 0) };
        return { err: 22 };
      }
      case 'lookup': return res(m.lookup(bytes(o.key), o.flags ?? 0), 'value');
      case 'lookup_and_delete': return res(m.lookupAndDelete(bytes(o.key), o.flags ?? 0), 'value');
      case 'delete': return { err: -m.delete(bytes(o.key)) };
      case 'next': return res(m.getNextKey(bytes(o.key)), 'key');
      case 'freeze': return { err: -m.freeze() };
      case 'lookup_batch': case 'lookup_and_delete_batch': {
        const f = o.op === 'lookup_batch' ? m.lookupBatch.bind(m) : m.lookupAndDeleteBatch.bind(m);
        const r = f(bytes(o.inBatch), o.count, { elemFlags: o.elemFlags ?? 0, flags: o.flags ?? 0 });
        if (r.err !== 0 && r.err !== -2 && r.err !== -28) return { err: -r.err, count: r.count };
        return {
          err: -r.err, count: r.count, keys: hexOf(r.keys), values: hexOf(r.values),
          ...(r.outBatch !== undefined ? { out: hexOf(r.outBatch.subarray(0, o.tokenSize)) } : {}),
        };
      }
      case 'update_batch': {
        const r = m.updateBatch(bytes(o.keys) ?? new Uint8Array(0), bytes(o.values) ?? new Uint8Array(0), o.count, { elemFlags: o.elemFlags ?? 0 });
        return { err: -r.err, count: r.count };
      }
      case 'update_batch_fd': {
        if (!(m instanceof ArrayOfMapsMap || m instanceof HashOfMapsMap)) return { err: 22 };
        const r = m.updateInnerBatch(bytes(o.keys) ?? new Uint8Array(0), o.inners.map((i) => (i < 0 ? undefined : made[i])), o.count, { elemFlags: o.elemFlags ?? 0 });
        return { err: -r.err, count: r.count };
      }
      case 'delete_batch': {
        const r = m.deleteBatch(bytes(o.keys) ?? new Uint8Array(0), o.count, { elemFlags: o.elemFlags ?? 0 });
        return { err: -r.err, count: r.count };
      }
    }
  });
  // `-0` from negating a 0 return would not deepEqual the kernel's 0.
  return { cpus: nCpus, maps: errs, ids: made.map((m) => m?.id ?? 0), ops: results.map((r) => ({ ...r, err: r.err + 0 || 0 })) };
}

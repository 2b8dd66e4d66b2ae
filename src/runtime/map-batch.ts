/**
 * The batch commands of a map handle (BPF_MAP_LOOKUP_BATCH, _LOOKUP_AND_DELETE_BATCH,
 * _UPDATE_BATCH, _DELETE_BATCH) in the shape libbpf users know: lookups page through the map with
 * an opaque token, updates and deletes stop at the first failing element and say how many went
 * through. The kernel's semantics are the map classes' own (src/maps/map.ts). Works in node /
 * browser.
 */
import type { BatchOptions, BatchResult, BpfMap } from '../maps/map.ts';
import { ArrayOfMapsMap, HashOfMapsMap } from '../maps/map-in-map.ts';
import { BpfError } from '../util/errors.ts';
import { EINVAL, ENOENT, errnoName } from '../uapi/errno.ts';

/**
 * A batch command that failed. `count` is the kernel's batch.count afterwards: the elements
 * processed before a failing element, or the count asked for when the command was refused before
 * touching any (bad flags, a map type without batches), as the kernel then leaves it unchanged.
 */
export class BatchError extends BpfError {
  readonly count: number;
  constructor(errno: number, message: string, count: number) {
    super(errno, message);
    this.name = 'BatchError';
    this.count = count;
  }
}

/** One page of a lookup batch. */
export interface BatchPage {
  readonly keys: Uint8Array[];
  readonly values: Uint8Array[];
  /** The token to pass as `inBatch` for the next page (the kernel's out_batch). */
  readonly next: Uint8Array | undefined;
  /** True when the walk reached the end of the map (the kernel's -ENOENT): no page follows. */
  readonly done: boolean;
}

/** Runs a lookup (and delete) batch and splits its packed output into elements. */
export function lookupPage(map: BpfMap, del: boolean, inBatch: Uint8Array | undefined, count: number, opts: BatchOptions): BatchPage {
  const r = del ? map.lookupAndDeleteBatch(inBatch, count, opts) : map.lookupBatch(inBatch, count, opts);
  if (r.err < 0 && r.err !== -ENOENT) {
    throw new BatchError(-r.err, `map '${map.name}': ${del ? 'lookup_and_delete' : 'lookup'}_batch: ${errnoName(-r.err)}`, r.count);
  }
  const ks = map.keySize;
  const vs = r.count === 0 ? 0 : r.values.length / r.count;
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  for (let i = 0; i < r.count; i++) {
    keys.push(r.keys.slice(i * ks, (i + 1) * ks));
    values.push(r.values.slice(i * vs, (i + 1) * vs));
  }
  return { keys, values, next: r.outBatch, done: r.err === -ENOENT };
}

/**
 * BPF_MAP_UPDATE_BATCH. For maps of maps each value is a 4-byte inner map id (the kernel takes
 * an fd), resolved by `mapById`. Returns the number of elements updated (all of them).
 */
export function updateBatch(map: BpfMap, keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOptions,
  mapById: (id: number) => BpfMap | undefined): number {
  if (keys.length !== values.length) throw new BpfError(EINVAL, `map '${map.name}': update_batch: ${keys.length} keys but ${values.length} values`);
  const packedKeys = pack(map, 'key', keys, map.keySize);
  let r: BatchResult;
  if (map instanceof ArrayOfMapsMap || map instanceof HashOfMapsMap) {
    const inners = values.map((v) => {
      if (v.length !== 4) throw new BpfError(EINVAL, `map '${map.name}': value of ${v.length} bytes, expected 4 (an inner map id)`);
      const inner = mapById(new DataView(v.buffer, v.byteOffset, 4).getUint32(0, true));
      return inner === undefined || inner.destroyed ? undefined : inner;
    });
    r = map.updateInnerBatch(packedKeys, inners, keys.length, opts);
  } else {
    r = map.updateBatch(packedKeys, pack(map, 'value', values, map.userValueSize()), keys.length, opts);
  }
  return done(map, 'update_batch', r);
}

/** BPF_MAP_DELETE_BATCH. Returns the number of elements deleted (all of them). */
export function deleteBatch(map: BpfMap, keys: readonly Uint8Array[], opts: BatchOptions): number {
  return done(map, 'delete_batch', map.deleteBatch(pack(map, 'key', keys, map.keySize), keys.length, opts));
}

function done(map: BpfMap, op: string, r: BatchResult): number {
  if (r.err < 0) throw new BatchError(-r.err, `map '${map.name}': ${op}: ${errnoName(-r.err)} after ${r.count} element(s)`, r.count);
  return r.count;
}

function pack(map: BpfMap, what: string, items: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(items.length * size);
  items.forEach((it, i) => {
    if (it.length !== size) throw new BpfError(EINVAL, `map '${map.name}': ${what} ${i} has ${it.length} bytes, expected ${size}`);
    out.set(it, i * size);
  });
  return out;
}

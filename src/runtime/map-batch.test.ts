import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH } from '../uapi/bpf.ts';
import { EINVAL, ENOENT, ENOTSUPP } from '../uapi/errno.ts';
import { BatchError } from './map-batch.ts';
import { Runtime } from './runtime.ts';

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: number): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);
const num = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(0, true);
const isBatchError = (errno: number, count: number) => (e: unknown): boolean =>
  e instanceof BatchError && e.errno === errno && e.count === count;

test('hash batches: update all, page through lookups until done, delete stops at the first missing key', () => {
  const rt = new Runtime();
  const h = rt.createMap({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 16, name: 'h' });
  const keys = [1, 2, 3, 4, 5].map(u32);
  assert.equal(h.updateBatch(keys, [10, 20, 30, 40, 50].map(u64)), 5);
  assert.equal(h.updateBatch([u32(6), u32(1)], [u64(60), u64(10)]), 2);
  // elem_flags takes BPF_F_LOCK only: refused before any element, batch.count left as given.
  assert.throws(() => h.updateBatch([u32(7), u32(1)], [u64(70), u64(11)], { elemFlags: 1 }), isBatchError(EINVAL, 2));
  assert.equal(h.lookup(u32(7)), undefined);
  const seen = new Map<number, number>();
  let token: Uint8Array | undefined;
  for (let pages = 0; ; pages++) {
    assert.ok(pages < 20, 'lookup batches never reached the end');
    const page = h.lookupBatch(token, 2);
    page.keys.forEach((k, i) => seen.set(num(k), num(page.values[i] as Uint8Array)));
    if (page.done) break;
    token = page.next;
  }
  assert.deepEqual([...seen].sort((a, b) => a[0] - b[0]), [[1, 10], [2, 20], [3, 30], [4, 40], [5, 50], [6, 60]]);
  assert.throws(() => h.deleteBatch([u32(1), u32(99), u32(2)]), isBatchError(ENOENT, 1));
  assert.equal(h.lookup(u32(2)) !== undefined, true);
  assert.equal(h.lookup(u32(1)), undefined);
  const all = h.lookupAndDeleteBatch(undefined, 16);
  assert.equal(all.done, true);
  assert.equal(all.keys.length, 5);
  assert.equal(h.entries().length, 0);
  rt.close();
});

test('array batches: no delete batch (ENOTSUPP), maps of maps take inner map ids', () => {
  const rt = new Runtime();
  const a = rt.createMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 3, name: 'a' });
  assert.equal(a.updateBatch([u32(0), u32(2)], [u32(7), u32(9)]), 2);
  assert.deepEqual(a.lookupBatch(undefined, 3).values.map(num), [7, 0, 9]);
  assert.throws(() => a.deleteBatch([u32(0)]), isBatchError(ENOTSUPP, 1));
  const inner = rt.createMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 3, name: 'inner' });
  const outer = rt.createMap({ type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, name: 'outer', innerMapTemplate: inner.map });
  assert.equal(outer.updateBatch([u32(1)], [u32(inner.id)]), 1);
  assert.deepEqual(outer.lookupBatch(undefined, 2).values.map(num), [inner.id]);
  rt.close();
});

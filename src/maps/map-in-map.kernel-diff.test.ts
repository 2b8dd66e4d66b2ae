// Array and hash of maps against the running kernel (tools/kernel/map-ops.c): which maps can be
// inner-map templates, which maps an outer map accepts on insertion (bpf_map_meta_equal and
// array_map_meta_equal as 6.18 applies them), and the batch operations on outer maps. Inner maps'
// ids differ between the kernel and tsbpf; test-helpers.ts compares them as map indices.
import { test } from 'node:test';
import {
  BPF_ANY, BPF_EXIST, BPF_F_INNER_MAP, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY,
  BPF_F_ZERO_SEED, BPF_NOEXIST, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH_OF_MAPS,
  BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH,
  BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_STACK, BPF_F_NO_COMMON_LRU,
} from '../uapi/bpf.ts';
import type { MapOp, OpsMap } from '../../tools/kernel/map-ops.ts';
import { assertSameAsKernel, hu32, needKernel } from './test-helpers.ts';

const AOM = BPF_MAP_TYPE_ARRAY_OF_MAPS;
const HOM = BPF_MAP_TYPE_HASH_OF_MAPS;
const outer = (type: number, inner: number, flags = 0): OpsMap => ({ type, keySize: 4, valueSize: 4, maxEntries: 4, inner, flags });
const put = (map: number, key: number, inner: number, flags = BPF_ANY): MapOp => ({ op: 'update_fd', map, key: hu32(key), inner, flags });

test('inner-map templates: every map type tsbpf creates, as the template of an array and a hash of maps', (t) => {
  if (!needKernel(t)) return;
  const templates: OpsMap[] = [
    { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_INNER_MAP },
    { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_LRU_PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_NO_COMMON_LRU },
    { type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_STACK, keySize: 0, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 },
    // No map_meta_equal: the outer map's creation fails with ENOTSUPP.
    { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 },
  ];
  const maps: OpsMap[] = [];
  for (const tpl of templates) {
    const i = maps.length;
    maps.push(tpl, outer(AOM, i), outer(HOM, i));
  }
  // A map-in-map as the template (EINVAL), and BPF_F_INNER_MAP on the outer maps (EINVAL).
  const aom = maps.findIndex((m) => m.type === AOM);
  maps.push(outer(AOM, aom), outer(HOM, aom), outer(AOM, 0, BPF_F_INNER_MAP), outer(HOM, 0, BPF_F_INNER_MAP), outer(HOM, 0, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED));
  // BPF_F_INNER_MAP is for plain arrays only.
  maps.push({ type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_INNER_MAP });
  maps.push({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_INNER_MAP });
  assertSameAsKernel(maps, []);
});

test('insertion into an outer map: type, key and value size, flags, max_entries (arrays unless BPF_F_INNER_MAP)', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [
    /* 0 */ { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
    /* 1 */ outer(AOM, 0),
    /* 2 */ outer(HOM, 0),
    /* 3 */ { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_INNER_MAP },
    /* 4 */ outer(AOM, 3),
    /* 5 */ { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 9 },
    /* 6 */ { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 9, flags: BPF_F_INNER_MAP },
    /* 7 */ { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 16, maxEntries: 4 },
    /* 8 */ { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
    /* 9 */ { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 9 },
    /* 10 */ outer(AOM, 8),
    /* 11 */ { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4 },
    /* 12 */ { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 99 },
    /* 13 */ { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_NO_PREALLOC },
    /* 14 */ { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_ZERO_SEED },
    /* 15 */ { type: BPF_MAP_TYPE_HASH, keySize: 8, valueSize: 8, maxEntries: 4 },
    /* 16 */ outer(HOM, 11),
    /* 17 */ { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_RDONLY },
    /* 18 */ { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_WRONLY },
    /* 19 */ { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_RDONLY_PROG },
    /* 20 */ { type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 8, maxEntries: 4 },
    /* 21 */ { type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 8, maxEntries: 7 },
    /* 22 */ outer(AOM, 20),
    /* 23 */ { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 },
    /* 24 */ { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 8192 },
    /* 25 */ outer(HOM, 23),
    /* 26 */ { type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 4 },
    /* 27 */ { type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_NO_COMMON_LRU },
    /* 28 */ outer(AOM, 26),
    /* 29 */ { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 },
    /* 30 */ outer(HOM, 17),
  ];
  assertSameAsKernel(maps, [
    // template: plain array of 4 entries
    put(1, 0, 0), put(1, 1, 5), put(1, 1, 6), put(1, 1, 7), put(1, 1, 3), put(1, 1, 11), put(1, 1, 8), put(1, 1, 1),
    // RDONLY/WRONLY belong to the fd, not the map: accepted; RDONLY_PROG is a map flag: refused
    put(1, 1, 17), put(1, 2, 18), put(1, 3, 19), put(30, 0, 0), put(30, 1, 18),
    // a map-in-map and a prog array as values
    put(1, 2, 2), put(1, 2, 29),
    // template with BPF_F_INNER_MAP: any max_entries, but the flag itself must match
    put(4, 0, 0), put(4, 0, 3), put(4, 0, 5), put(4, 0, 6), put(4, 0, 7),
    // per-CPU arrays compare no max_entries
    put(10, 0, 8), put(10, 1, 9),
    // hash templates: max_entries free, flags and key size compared
    put(16, 0, 11), put(16, 1, 12), put(16, 2, 13), put(16, 2, 14), put(16, 2, 15), put(16, 3, 0),
    put(2, 0, 5), put(2, 1, 0),
    // queue, ring buffer (size is max_entries), LRU list mode (a flag)
    put(22, 0, 20), put(22, 1, 21), put(25, 0, 23), put(25, 1, 24), put(28, 0, 26), put(28, 1, 27),
    // flags of the update itself
    put(1, 0, 0, BPF_NOEXIST), put(1, 0, 0, BPF_EXIST), put(16, 0, 11, BPF_NOEXIST), put(16, 0, 12, BPF_EXIST), put(16, 3, 12, BPF_F_LOCK),
    { op: 'lookup', map: 1, key: hu32(1) }, { op: 'lookup', map: 16, key: hu32(1) }, { op: 'lookup', map: 10, key: hu32(1) },
  ]);
});

test('batch operations on an array of maps: lookup and update (fds as values), no delete batches', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [
    { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
    outer(AOM, 0),
    { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_RDONLY },
    { ...outer(AOM, 0), flags: BPF_F_RDONLY },
  ];
  const keys = (...k: number[]): string => k.map(hu32).join('');
  assertSameAsKernel(maps, [
    // empty: nothing to copy, ENOENT with count 0
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 4, tokenSize: 4 },
    { op: 'update_batch_fd', map: 1, keys: keys(0, 2), inners: [0, 2], count: 2 },
    // empty slots are skipped; out_batch is the last index visited
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 10, tokenSize: 4 },
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 1, tokenSize: 4 },
    { op: 'lookup_batch', map: 1, inBatch: hu32(0), count: 1, tokenSize: 4 },
    { op: 'lookup_batch', map: 1, inBatch: hu32(9), count: 2, tokenSize: 4 },
    { op: 'lookup_batch', map: 1, inBatch: hu32(2), count: 2, tokenSize: 4 },
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 0, tokenSize: 4 },
    // batch.flags is not checked by the generic lookup batch; elem_flags is
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 4, flags: 1, tokenSize: 4 },
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 4, elemFlags: BPF_F_LOCK, tokenSize: 4 },
    // update batches stop at the first failure: a hash (template mismatch), a non-map fd, an index out of range
    { op: 'update_batch_fd', map: 1, keys: keys(1, 3, 0), inners: [2, 3, 0], count: 3 },
    { op: 'update_batch_fd', map: 1, keys: keys(3, 1), inners: [0, -1], count: 2 },
    { op: 'update_batch_fd', map: 1, keys: keys(4), inners: [0], count: 1 },
    { op: 'update_batch_fd', map: 1, keys: keys(1), inners: [4], count: 1 },
    { op: 'update_batch_fd', map: 1, keys: keys(1), inners: [0], count: 1, elemFlags: BPF_NOEXIST },
    { op: 'update_batch_fd', map: 1, keys: keys(1), inners: [0], count: 0 },
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 10, tokenSize: 4 },
    // raw values are fds: a number that is no open fd is EBADF
    { op: 'update_batch', map: 1, keys: keys(1), values: hu32(999), count: 1 },
    // no delete or lookup-and-delete batches; on a read-only fd, EPERM comes first
    { op: 'delete_batch', map: 1, keys: keys(0), count: 1 },
    { op: 'lookup_and_delete_batch', map: 1, inBatch: '-', count: 4, tokenSize: 4 },
    { op: 'delete_batch', map: 5, keys: keys(0), count: 1 },
    { op: 'update_batch_fd', map: 5, keys: keys(0), inners: [0], count: 1 },
    { op: 'lookup_batch', map: 5, inBatch: '-', count: 4, tokenSize: 4 },
    { op: 'delete', map: 1, key: hu32(0) },
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 10, tokenSize: 4 },
  ]);
});

test('batch operations on a hash of maps: lookup, lookup-and-delete, update (fds as values), delete', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [
    { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4 },
    { ...outer(HOM, 0), flags: BPF_F_ZERO_SEED },
    { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 16 },
    { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
  ];
  const keys = (...k: number[]): string => k.map(hu32).join('');
  assertSameAsKernel(maps, [
    { op: 'update_batch_fd', map: 1, keys: keys(5, 7, 9), inners: [0, 2, 0], count: 3 },
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 10, tokenSize: 4 },
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 1, flags: 1, tokenSize: 4 },
    // stops at the array (template mismatch), then at a full map (E2BIG), then BPF_NOEXIST on a present key
    { op: 'update_batch_fd', map: 1, keys: keys(1, 2), inners: [2, 3], count: 2 },
    { op: 'update_batch_fd', map: 1, keys: keys(11, 12), inners: [0, 0], count: 2 },
    { op: 'update_batch_fd', map: 1, keys: keys(5), inners: [2], count: 1, elemFlags: BPF_NOEXIST },
    { op: 'update_batch_fd', map: 1, keys: keys(5), inners: [-1], count: 1 },
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 10, tokenSize: 4 },
    { op: 'delete_batch', map: 1, keys: keys(7, 3), count: 2 },
    { op: 'lookup_and_delete_batch', map: 1, inBatch: '-', count: 10, tokenSize: 4 },
    { op: 'next', map: 1, key: '-' },
    { op: 'update_batch_fd', map: 1, keys: keys(1, 2), inners: [0, 2], count: 2, elemFlags: BPF_EXIST },
    { op: 'update_batch_fd', map: 1, keys: keys(1, 2), inners: [0, 2], count: 2 },
    { op: 'delete_batch', map: 1, keys: keys(1, 2), count: 2 },
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 10, tokenSize: 4 },
  ]);
});

// Kernel-differential suites: the same user-space op sequences on tsbpf and on the running kernel
// (tools/kernel/map-ops.c), compared result by result. Hash maps use BPF_F_ZERO_SEED so that the
// kernel's jhash bucket order, and so get_next_key and batch order, are reproducible.
import { test } from 'node:test';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_ZERO_SEED, BPF_NOEXIST,
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_QUEUE,
  BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS,
  BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PROG_ARRAY, BPF_F_RDONLY_PROG, BPF_MAP_TYPE_BLOOM_FILTER,
} from '../uapi/bpf.ts';
import type { MapOp, OpsMap } from '../../tools/kernel/map-ops.ts';
import { assertSameAsKernel, hu32, hu64, needKernel } from './test-helpers.ts';

const Z = BPF_F_ZERO_SEED;

function flagOps(map: number, keys: number[]): MapOp[] {
  const ops: MapOp[] = [];
  for (const k of keys) {
    for (const flags of [BPF_EXIST, BPF_NOEXIST, BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3, 8, BPF_F_LOCK]) {
      ops.push({ op: 'update', map, key: hu32(k), value: hu64(k * 100 + flags), flags });
    }
    ops.push({ op: 'lookup', map, key: hu32(k) }, { op: 'lookup', map, key: hu32(k), flags: 1 }, { op: 'lookup', map, key: hu32(k), flags: BPF_F_LOCK });
  }
  return ops;
}

function iterOps(map: number, keys: number[]): MapOp[] {
  const ops: MapOp[] = [{ op: 'next', map, key: '-' }];
  for (const k of keys) ops.push({ op: 'next', map, key: hu32(k) });
  return ops;
}

test('array: flags, bounds, delete, get_next_key, lookup_and_delete', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [{ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }];
  assertSameAsKernel(maps, [
    ...flagOps(0, [0, 3, 4, 0xffffffff]),
    { op: 'delete', map: 0, key: hu32(1) }, { op: 'delete', map: 0, key: hu32(9) },
    ...iterOps(0, [0, 2, 3, 4, 100]),
    { op: 'lookup_and_delete', map: 0, key: hu32(0) },
  ]);
});

test('hash: flags, E2BIG when full, delete, reuse, iteration order, restart on a missing key', (t) => {
  if (!needKernel(t)) return;
  for (const flags of [Z, Z | BPF_F_NO_PREALLOC]) {
    const maps: OpsMap[] = [{ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags }];
    const keys = [1, 2, 3, 4, 5, 6];
    assertSameAsKernel(maps, [
      ...flagOps(0, keys),
      ...iterOps(0, [...keys, 77]),
      { op: 'delete', map: 0, key: hu32(2) }, { op: 'delete', map: 0, key: hu32(2) },
      { op: 'update', map: 0, key: hu32(9), value: hu64(9), flags: BPF_NOEXIST },
      { op: 'update', map: 0, key: hu32(10), value: hu64(10) },
      ...iterOps(0, [1, 3, 4, 9, 2]),
      { op: 'lookup_and_delete', map: 0, key: hu32(9) }, { op: 'lookup_and_delete', map: 0, key: hu32(9) },
      { op: 'lookup_and_delete', map: 0, key: hu32(1), flags: BPF_F_LOCK },
      { op: 'lookup_and_delete', map: 0, key: hu32(1), flags: 1 },
    ]);
  }
});

test('hash: odd key sizes hash byte-wise like the kernel', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [{ type: BPF_MAP_TYPE_HASH, keySize: 7, valueSize: 3, maxEntries: 16, flags: Z }, { type: BPF_MAP_TYPE_HASH, keySize: 20, valueSize: 4, maxEntries: 16, flags: Z }];
  const ops: MapOp[] = [];
  for (let i = 0; i < 12; i++) {
    ops.push({ op: 'update', map: 0, key: (i * 0x1111).toString(16).padStart(14, '0'), value: 'aabbcc' });
    ops.push({ op: 'update', map: 1, key: i.toString(16).padStart(40, '3'), value: 'deadbeef' });
  }
  ops.push({ op: 'lookup_batch', map: 0, inBatch: '-', count: 100, tokenSize: 4 });
  ops.push({ op: 'lookup_batch', map: 1, inBatch: '-', count: 100, tokenSize: 4 });
  assertSameAsKernel(maps, ops);
});

test('per-CPU array and hash: every CPU value from user space', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [
    { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 },
    { type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 12, maxEntries: 2, flags: Z },
    { type: BPF_MAP_TYPE_LRU_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 8, flags: Z },
  ];
  // Two possible CPUs on the reference machine; values are sized for them (round_up(vs, 8) each).
  const v0 = '0100000000000000' + '0200000000000000';
  const v1 = '0a0b0c0d0e0f1011121314150000000021222324252627282930313200000000';
  assertSameAsKernel(maps, [
    { op: 'update', map: 0, key: hu32(1), value: v0 }, { op: 'lookup', map: 0, key: hu32(1) },
    { op: 'update', map: 0, key: hu32(1), value: v0, flags: BPF_NOEXIST }, { op: 'update', map: 0, key: hu32(2), value: v0 },
    { op: 'update', map: 0, key: hu32(1), value: v0, flags: BPF_F_LOCK },
    { op: 'update', map: 1, key: hu32(5), value: v1 }, { op: 'lookup', map: 1, key: hu32(5) },
    { op: 'update', map: 1, key: hu32(6), value: v1, flags: BPF_EXIST }, { op: 'update', map: 1, key: hu32(6), value: v1 },
    { op: 'update', map: 1, key: hu32(7), value: v1 }, { op: 'lookup_batch', map: 1, inBatch: '-', count: 5, tokenSize: 4 },
    { op: 'lookup_and_delete', map: 1, key: hu32(5) },
    { op: 'update', map: 2, key: hu32(5), value: v0 }, { op: 'lookup', map: 2, key: hu32(5) },
    { op: 'update', map: 2, key: hu32(5), value: v0, flags: BPF_F_LOCK },
  ]);
});

test('queue and stack: push flags, overwrite with BPF_EXIST, pop/peek order, refused ops', (t) => {
  if (!needKernel(t)) return;
  for (const type of [BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK]) {
    const maps: OpsMap[] = [{ type, keySize: 0, valueSize: 4, maxEntries: 3 }];
    const ops: MapOp[] = [{ op: 'lookup', map: 0, key: '-' }, { op: 'lookup_and_delete', map: 0, key: '-' }];
    for (let i = 1; i <= 4; i++) ops.push({ op: 'update', map: 0, key: '-', value: hu32(i) });
    ops.push({ op: 'update', map: 0, key: '-', value: hu32(5), flags: BPF_EXIST });
    ops.push({ op: 'update', map: 0, key: '-', value: hu32(6), flags: BPF_NOEXIST });
    ops.push({ op: 'update', map: 0, key: '-', value: hu32(6), flags: 4 });
    ops.push({ op: 'lookup', map: 0, key: '-' }, { op: 'delete', map: 0, key: '-' }, { op: 'next', map: 0, key: '-' });
    ops.push({ op: 'lookup_and_delete', map: 0, key: '-', flags: BPF_F_LOCK });
    for (let i = 0; i < 4; i++) ops.push({ op: 'lookup_and_delete', map: 0, key: '-' });
    ops.push({ op: 'lookup_batch', map: 0, inBatch: '-', count: 2, tokenSize: 0 });
    assertSameAsKernel(maps, ops);
  }
});

test('batch operations: tokens, ENOENT at the end, ENOSPC, partial counts, flag checks', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [
    { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 8, flags: Z },
    { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 5 },
  ];
  const keys = [1, 2, 3, 4, 5, 6, 7].map(hu32).join('');
  const vals = [1, 2, 3, 4, 5, 6, 7].map(hu64).join('');
  const ops: MapOp[] = [
    { op: 'update_batch', map: 0, keys, values: vals, count: 7 },
    { op: 'update_batch', map: 0, keys, values: vals, count: 7, elemFlags: BPF_NOEXIST },
    { op: 'update_batch', map: 0, keys, values: vals, count: 7, elemFlags: BPF_F_LOCK },
    { op: 'lookup_batch', map: 0, inBatch: '-', count: 0, tokenSize: 4 },
    { op: 'lookup_batch', map: 0, inBatch: '-', count: 1, tokenSize: 4 },
    { op: 'lookup_batch', map: 0, inBatch: '-', count: 3, tokenSize: 4 },
    { op: 'lookup_batch', map: 0, inBatch: hu32(3), count: 3, tokenSize: 4 },
    { op: 'lookup_batch', map: 0, inBatch: hu32(6), count: 10, tokenSize: 4 },
    { op: 'lookup_batch', map: 0, inBatch: hu32(8), count: 10, tokenSize: 4 },
    { op: 'lookup_batch', map: 0, inBatch: '-', count: 10, flags: 1, tokenSize: 4 },
    { op: 'lookup_and_delete_batch', map: 0, inBatch: '-', count: 4, tokenSize: 4 },
    { op: 'delete_batch', map: 0, keys, count: 7 },
    { op: 'update_batch', map: 0, keys, values: vals, count: 7 },
    { op: 'delete_batch', map: 0, keys, count: 7, elemFlags: 1 },
    { op: 'delete_batch', map: 0, keys, count: 7 },
    { op: 'update_batch', map: 1, keys, values: vals, count: 7 },
    { op: 'lookup_batch', map: 1, inBatch: '-', count: 2, tokenSize: 4 },
    { op: 'lookup_batch', map: 1, inBatch: hu32(1), count: 2, tokenSize: 4 },
    { op: 'lookup_batch', map: 1, inBatch: hu32(3), count: 9, tokenSize: 4 },
    { op: 'lookup_batch', map: 1, inBatch: hu32(4), count: 9, tokenSize: 4 },
    { op: 'lookup_and_delete_batch', map: 1, inBatch: '-', count: 2, tokenSize: 4 },
  ];
  assertSameAsKernel(maps, ops);
});

test('permissions: BPF_F_RDONLY, BPF_F_WRONLY, freeze', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [
    { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: Z | BPF_F_RDONLY },
    { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: Z | BPF_F_WRONLY },
    { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
  ];
  const all = (m: number): MapOp[] => [
    { op: 'update', map: m, key: hu32(1), value: hu64(1) }, { op: 'lookup', map: m, key: hu32(1) },
    { op: 'next', map: m, key: '-' }, { op: 'delete', map: m, key: hu32(1) }, { op: 'lookup_and_delete', map: m, key: hu32(1) },
    { op: 'lookup_batch', map: m, inBatch: '-', count: 4, tokenSize: 4 },
  ];
  assertSameAsKernel(maps, [...all(0), ...all(1), { op: 'freeze', map: 0 }, { op: 'freeze', map: 1 },
    { op: 'update', map: 2, key: hu32(1), value: hu64(5) }, { op: 'freeze', map: 2 }, ...all(2), { op: 'freeze', map: 2 }]);
});

test('ring buffer and map-in-map: user-space element ops', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [
    { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 },
    { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner: 1 },
    { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 5 },
    { type: BPF_MAP_TYPE_HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner: 1, flags: Z },
    { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner: 2 },
  ];
  assertSameAsKernel(maps, [
    { op: 'lookup', map: 0, key: '-' }, { op: 'update', map: 0, key: '-', value: '-' }, { op: 'delete', map: 0, key: '-' },
    { op: 'next', map: 0, key: '-' },
    { op: 'update_fd', map: 2, key: hu32(0), inner: 1 }, { op: 'update_fd', map: 2, key: hu32(1), inner: 3 },
    { op: 'update_fd', map: 2, key: hu32(1), inner: 5 }, { op: 'update_fd', map: 2, key: hu32(1), inner: 1, flags: BPF_NOEXIST },
    { op: 'update_fd', map: 2, key: hu32(2), inner: 1 }, { op: 'delete', map: 2, key: hu32(1) }, { op: 'delete', map: 2, key: hu32(0) },
    { op: 'delete', map: 2, key: hu32(0) }, { op: 'delete', map: 2, key: hu32(7) }, { op: 'next', map: 2, key: hu32(0) },
    { op: 'update_fd', map: 4, key: hu32(0), inner: 1 }, { op: 'update_fd', map: 4, key: hu32(0), inner: 1, flags: BPF_NOEXIST },
    { op: 'update_fd', map: 4, key: hu32(1), inner: 1, flags: BPF_EXIST }, { op: 'update_fd', map: 4, key: hu32(1), inner: 5 },
    { op: 'update_fd', map: 4, key: hu32(1), inner: 1, flags: BPF_F_LOCK },
    { op: 'delete', map: 4, key: hu32(0) }, { op: 'delete', map: 4, key: hu32(0) },
  ]);
});

test('LRU hash: by invariant (eviction choice is implementation-defined)', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [{ type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 16, flags: Z }];
  const ops: MapOp[] = [];
  for (let i = 0; i < 64; i++) ops.push({ op: 'update', map: 0, key: hu32(i), value: hu64(i) });
  ops.push({ op: 'lookup', map: 0, key: hu32(63) }, { op: 'update', map: 0, key: hu32(1), value: hu64(0), flags: BPF_F_LOCK });
  ops.push({ op: 'update', map: 0, key: hu32(63), value: hu64(1), flags: BPF_EXIST });
  ops.push({ op: 'update', map: 0, key: hu32(63), value: hu64(1), flags: BPF_NOEXIST });
  // Every update succeeds (never E2BIG), the newest key is present, BPF_F_LOCK is refused.
  assertSameAsKernel(maps, ops);
});

test('prog array from user space: empty slots, deletes, no batch operations', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [
    { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 },
    { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_RDONLY_PROG },
  ];
  assertSameAsKernel(maps, [
    { op: 'lookup', map: 0, key: hu32(1) }, { op: 'delete', map: 0, key: hu32(1) }, { op: 'delete', map: 0, key: hu32(4) },
    { op: 'next', map: 0, key: '-' }, { op: 'next', map: 0, key: hu32(3) }, { op: 'next', map: 0, key: hu32(9) },
    // a raw value is an fd: 999 is none
    { op: 'update', map: 0, key: hu32(1), value: hu32(999) },
    { op: 'lookup_batch', map: 0, inBatch: '-', count: 4, tokenSize: 4 },
    { op: 'lookup_and_delete_batch', map: 0, inBatch: '-', count: 4, tokenSize: 4 },
    { op: 'update_batch', map: 0, keys: hu32(1), values: hu32(999), count: 1 },
    { op: 'delete_batch', map: 0, keys: hu32(1), count: 1 },
    { op: 'freeze', map: 0 }, { op: 'delete', map: 0, key: hu32(1) },
  ]);
});

test('bloom filter: creation checks, map_extra, user-space push and peek, refused ops', (t) => {
  if (!needKernel(t)) return;
  const B = BPF_MAP_TYPE_BLOOM_FILTER;
  const maps: OpsMap[] = [
    { type: B, keySize: 0, valueSize: 4, maxEntries: 16, flags: Z, mapExtra: 3n },
    { type: B, keySize: 0, valueSize: 7, maxEntries: 100, flags: Z },
    { type: B, keySize: 4, valueSize: 4, maxEntries: 16 },
    { type: B, keySize: 0, valueSize: 0, maxEntries: 16 },
    { type: B, keySize: 0, valueSize: 4, maxEntries: 0 },
    { type: B, keySize: 0, valueSize: 4, maxEntries: 16, mapExtra: 16n },
    { type: B, keySize: 0, valueSize: 4, maxEntries: 16, flags: BPF_F_NO_PREALLOC },
    { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 16, mapExtra: 1n },
    { type: B, keySize: 0, valueSize: 4, maxEntries: 16, flags: Z | BPF_F_RDONLY, mapExtra: 15n },
  ];
  const ops: MapOp[] = [];
  // A zero value is what a lookup's (zeroed) buffer asks about: absent, pushed, present.
  for (const m of [0, 1]) {
    const zero = m === 0 ? hu32(0) : '00'.repeat(7);
    ops.push({ op: 'lookup', map: m, key: '-' }, { op: 'update', map: m, key: '-', value: zero, flags: BPF_EXIST },
      { op: 'update', map: m, key: '-', value: zero, flags: BPF_F_LOCK }, { op: 'update', map: m, key: '-', value: zero });
    // Pushing more values fills bits; with BPF_F_ZERO_SEED the hashes, and so any false positive, are the kernel's.
    for (let i = 1; i < 40; i++) ops.push({ op: 'update', map: m, key: '-', value: m === 0 ? hu32(i * 7919) : `${hu32(i)}abcdef` });
    ops.push({ op: 'lookup', map: m, key: '-' }, { op: 'lookup', map: m, key: '-', flags: BPF_F_LOCK }, { op: 'delete', map: m, key: '-' },
      { op: 'next', map: m, key: '-' }, { op: 'lookup_and_delete', map: m, key: '-' },
      { op: 'lookup_batch', map: m, inBatch: '-', count: 2, tokenSize: 0 }, { op: 'freeze', map: m },
      { op: 'update', map: m, key: '-', value: zero });
  }
  ops.push({ op: 'update', map: 8, key: '-', value: hu32(1) }, { op: 'lookup', map: 8, key: '-' });
  assertSameAsKernel(maps, ops);
});

// Devmap and devmap hash: user-space operations compared with the running kernel op by op
// (tools/kernel/map-ops.c; ifindex 1 is `lo` on both sides, 9999 exists on neither), and the
// parts the kernel comparison cannot reach (the netdev table, tsbpf's refusals).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY,
  BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_XSKMAP, BPF_NOEXIST,
} from '../uapi/bpf.ts';
import { EINVAL, ENOENT, ENOMEM } from '../uapi/errno.ts';
import { isBpfError } from '../util/errors.ts';
import { AddressSpace } from '../vm/memory.ts';
import type { MapOp, OpsMap } from '../../tools/kernel/map-ops.ts';
import { createMap, mapCreateErrno } from './create.ts';
import { DevMap, DevMapHash } from './devmap.ts';
import { NetdevTable } from './netdev.ts';
import { assertSameAsKernel, hex, hu32, needKernel, u32 } from './test-helpers.ts';

const D = BPF_MAP_TYPE_DEVMAP;
const DH = BPF_MAP_TYPE_DEVMAP_HASH;
const LO = 1;
const NO_DEV = 9999;
/** struct bpf_devmap_val with a program fd. */
const val8 = (ifindex: number, fd: number): string => hu32(ifindex) + hu32(fd >>> 0);

test('devmap creation checks match the kernel', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [
    { type: D, keySize: 4, valueSize: 4, maxEntries: 4 },
    { type: D, keySize: 4, valueSize: 8, maxEntries: 4 },
    { type: D, keySize: 8, valueSize: 4, maxEntries: 4 },
    { type: D, keySize: 4, valueSize: 12, maxEntries: 4 },
    { type: D, keySize: 4, valueSize: 6, maxEntries: 4 },
    { type: D, keySize: 4, valueSize: 4, maxEntries: 0 },
    { type: D, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_NO_PREALLOC },
    { type: D, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_RDONLY_PROG },
    { type: D, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_NUMA_NODE },
    { type: D, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_RDONLY | BPF_F_WRONLY },
    { type: DH, keySize: 4, valueSize: 4, maxEntries: 2 ** 31 + 1 },
    { type: DH, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_RDONLY },
    { type: DH, keySize: 2, valueSize: 4, maxEntries: 4 },
    { type: DH, keySize: 4, valueSize: 0, maxEntries: 4 },
    { type: DH, keySize: 4, valueSize: 4, maxEntries: 4, mapExtra: 1n },
  ];
  assertSameAsKernel(maps, []);
});

test('devmap: NOEXIST always EEXIST, EXIST on an empty slot, ifindex 0 clears, unknown devices, program fds', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [
    { type: D, keySize: 4, valueSize: 4, maxEntries: 4 },
    { type: D, keySize: 4, valueSize: 8, maxEntries: 4 },
  ];
  const ops: MapOp[] = [
    { op: 'lookup', map: 0, key: hu32(0) }, { op: 'next', map: 0, key: '-' }, { op: 'next', map: 0, key: hu32(2) },
    { op: 'next', map: 0, key: hu32(3) }, { op: 'next', map: 0, key: hu32(9) },
    { op: 'update', map: 0, key: hu32(0), value: hu32(LO) },
    { op: 'update', map: 0, key: hu32(1), value: hu32(LO), flags: BPF_NOEXIST },
    { op: 'update', map: 0, key: hu32(1), value: hu32(LO), flags: BPF_EXIST },
    { op: 'update', map: 0, key: hu32(2), value: hu32(NO_DEV) },
    { op: 'update', map: 0, key: hu32(2), value: hu32(NO_DEV), flags: BPF_NOEXIST },
    { op: 'update', map: 0, key: hu32(4), value: hu32(LO) },
    { op: 'update', map: 0, key: hu32(4), value: hu32(LO), flags: 3 },
    { op: 'update', map: 0, key: hu32(0), value: hu32(LO), flags: 3 },
    { op: 'update', map: 0, key: hu32(0), value: hu32(LO), flags: BPF_F_LOCK },
    { op: 'lookup', map: 0, key: hu32(0) }, { op: 'lookup', map: 0, key: hu32(1) }, { op: 'lookup', map: 0, key: hu32(2) },
    { op: 'lookup', map: 0, key: hu32(4) }, { op: 'lookup', map: 0, key: hu32(0), flags: BPF_F_LOCK },
    { op: 'update', map: 0, key: hu32(1), value: hu32(0) }, { op: 'lookup', map: 0, key: hu32(1) },
    { op: 'update', map: 0, key: hu32(3), value: hu32(0), flags: BPF_EXIST },
    { op: 'delete', map: 0, key: hu32(0) }, { op: 'delete', map: 0, key: hu32(0) }, { op: 'lookup', map: 0, key: hu32(0) },
    { op: 'delete', map: 0, key: hu32(4) }, { op: 'delete', map: 0, key: hu32(0xffffffff) },
    { op: 'update', map: 0, key: hu32(2), value: hu32(LO) },
    { op: 'lookup_and_delete', map: 0, key: hu32(2) },
    { op: 'lookup_batch', map: 0, inBatch: '-', count: 4, tokenSize: 4 },
    { op: 'update_batch', map: 0, keys: hu32(1), values: hu32(LO), count: 1 },
    { op: 'delete_batch', map: 0, keys: hu32(1), count: 1 },
    { op: 'freeze', map: 0 }, { op: 'update', map: 0, key: hu32(2), value: hu32(LO) }, { op: 'lookup', map: 0, key: hu32(2) },
    // The 8-byte form: the program id reads back (0: no program); fd -1 means none.
    { op: 'update', map: 1, key: hu32(0), value: val8(LO, 0) }, { op: 'lookup', map: 1, key: hu32(0) },
    { op: 'update', map: 1, key: hu32(1), value: val8(LO, -1) }, { op: 'lookup', map: 1, key: hu32(1) },
    { op: 'update', map: 1, key: hu32(2), value: val8(LO, 999) },
    { op: 'update', map: 1, key: hu32(2), value: val8(NO_DEV, 999) },
    { op: 'update', map: 1, key: hu32(2), value: val8(0, 999) },
    { op: 'update', map: 1, key: hu32(2), value: val8(0, -5) },
    { op: 'update', map: 1, key: hu32(9), value: val8(LO, 999) },
    { op: 'update', map: 1, key: hu32(1), value: val8(LO, 999), flags: BPF_NOEXIST },
    { op: 'lookup', map: 1, key: hu32(2) },
  ];
  assertSameAsKernel(maps, ops);
});

test('devmap hash: bucket order of get_next_key, EXIST inserts, E2BIG when full, delete', (t) => {
  if (!needKernel(t)) return;
  const maps: OpsMap[] = [
    { type: DH, keySize: 4, valueSize: 4, maxEntries: 4 },
    { type: DH, keySize: 4, valueSize: 8, maxEntries: 3 },
    { type: DH, keySize: 4, valueSize: 4, maxEntries: 64 },
  ];
  const walk = (map: number, keys: number[]): MapOp[] => [{ op: 'next', map, key: '-' }, ...keys.map((k): MapOp => ({ op: 'next', map, key: hu32(k) }))];
  const ops: MapOp[] = [
    { op: 'next', map: 0, key: '-' }, { op: 'lookup', map: 0, key: hu32(5) }, { op: 'delete', map: 0, key: hu32(5) },
    // n_buckets 4: 5 and 1 share bucket 1 (newest first), 8 is in bucket 0, 3 in bucket 3.
    ...[5, 1, 8, 3].map((k): MapOp => ({ op: 'update', map: 0, key: hu32(k), value: hu32(LO) })),
    ...walk(0, [8, 1, 5, 3, 77]),
    { op: 'update', map: 0, key: hu32(10), value: hu32(LO) },
    { op: 'update', map: 0, key: hu32(5), value: hu32(LO), flags: BPF_NOEXIST },
    { op: 'update', map: 0, key: hu32(5), value: hu32(LO), flags: BPF_EXIST },
    ...walk(0, [8, 5, 1]),
    { op: 'update', map: 0, key: hu32(7), value: hu32(0) },
    { op: 'update', map: 0, key: hu32(5), value: hu32(NO_DEV) },
    { op: 'update', map: 0, key: hu32(5), value: hu32(LO), flags: 3 },
    { op: 'update', map: 0, key: hu32(5), value: hu32(LO), flags: BPF_F_LOCK },
    { op: 'delete', map: 0, key: hu32(1) }, { op: 'delete', map: 0, key: hu32(1) },
    { op: 'update', map: 0, key: hu32(20), value: hu32(LO), flags: BPF_EXIST },
    { op: 'update', map: 0, key: hu32(21), value: hu32(LO), flags: BPF_ANY },
    { op: 'lookup', map: 0, key: hu32(20) }, { op: 'lookup', map: 0, key: hu32(99) },
    ...walk(0, [8, 20, 5, 3]),
    { op: 'lookup_batch', map: 0, inBatch: '-', count: 4, tokenSize: 4 },
    { op: 'lookup_and_delete', map: 0, key: hu32(20) },
    { op: 'update', map: 1, key: hu32(1), value: val8(LO, -1) }, { op: 'lookup', map: 1, key: hu32(1) },
    { op: 'update', map: 1, key: hu32(2), value: val8(LO, 999) }, { op: 'update', map: 1, key: hu32(2), value: val8(0, 0) },
    { op: 'update', map: 1, key: hu32(1), value: val8(LO, 999), flags: BPF_NOEXIST },
    { op: 'update', map: 1, key: hu32(0xffffffff), value: val8(LO, 0) }, { op: 'update', map: 1, key: hu32(4), value: val8(LO, 0) },
    ...walk(1, [4, 1, 0xffffffff]),
  ];
  // A bigger table: keys over many buckets, some deleted, walked from each key.
  const keys = [0, 63, 64, 1, 65, 129, 1000, 7, 71, 0x80000000, 0xffffffff, 32];
  for (const k of keys) ops.push({ op: 'update', map: 2, key: hu32(k), value: hu32(LO) });
  for (const k of [64, 7]) ops.push({ op: 'delete', map: 2, key: hu32(k) });
  ops.push({ op: 'update', map: 2, key: hu32(65), value: hu32(LO) });
  ops.push(...walk(2, keys));
  assertSameAsKernel(maps, ops);
});

test('tsbpf: devices come from the netdev table; program fds are refused with a typed error', () => {
  const space = new AddressSpace();
  const netdevs = new NetdevTable([{ ifindex: 4, name: 'eth0' }]);
  const m = createMap(space, { type: D, keySize: 4, valueSize: 8, maxEntries: 2, name: 'tx' }, netdevs);
  assert.ok(m instanceof DevMap);
  assert.equal(m.flags & BPF_F_RDONLY_PROG, BPF_F_RDONLY_PROG); // as dev_map_init_map sets it
  assert.equal(m.update(u32(0), new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0])), 0);
  assert.equal(m.update(u32(1), new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0])), -EINVAL);
  assert.equal(hex(m.lookup(u32(0)) as Uint8Array), '0400000000000000');
  assert.equal(m.targetOf(0), 4);
  assert.equal(m.targetOf(1), undefined);
  assert.throws(() => m.update(u32(1), new Uint8Array([1, 0, 0, 0, 7, 0, 0, 0])),
    (e) => isBpfError(e, EINVAL) && /programs in devmap entries .* not supported by tsbpf/.test((e as Error).message));
  // The default table has lo only.
  const h = createMap(space, { type: DH, keySize: 4, valueSize: 4, maxEntries: 2 });
  assert.ok(h instanceof DevMapHash);
  assert.equal(h.update(u32(7), u32(4)), -EINVAL);
  assert.equal(h.update(u32(7), u32(1)), 0);
  assert.equal(h.delete(u32(8)), -ENOENT);
  assert.deepEqual(h.targets(), [1]);
});

test('tsbpf: the netdev table checks its devices', () => {
  assert.deepEqual(new NetdevTable([{ ifindex: 1, name: 'lo' }, { ifindex: 3, name: 'veth0' }]).list().map((d) => d.name), ['lo', 'veth0']);
  for (const bad of [{ ifindex: 1, name: 'eth0' }, { ifindex: 0, name: 'x' }, { ifindex: 2 ** 31, name: 'x' }, { ifindex: 2, name: 'lo' },
    { ifindex: 2, name: '' }, { ifindex: 2, name: 'a'.repeat(16) }, { ifindex: 2, name: 'a b' }, { ifindex: 1.5, name: 'x' }]) {
    assert.throws(() => new NetdevTable([bad]), (e) => isBpfError(e, EINVAL), JSON.stringify(bad));
  }
  assert.throws(() => new NetdevTable([{ ifindex: 2, name: 'a' }, { ifindex: 2, name: 'b' }]), (e) => isBpfError(e, EINVAL));
});

test('tsbpf: cpumap and xskmap are refused by name; a devmap too large for the address space is ENOMEM', () => {
  const space = new AddressSpace({ maxBytes: 1 << 20 });
  for (const [type, what] of [[BPF_MAP_TYPE_CPUMAP, 'cpumap'], [BPF_MAP_TYPE_XSKMAP, 'xskmap']] as const) {
    assert.equal(mapCreateErrno({ type, keySize: 4, valueSize: 4, maxEntries: 4 }), EINVAL);
    assert.throws(() => createMap(space, { type, keySize: 4, valueSize: 4, maxEntries: 4, name: 'm' }),
      (e) => isBpfError(e, EINVAL) && new RegExp(`BPF_MAP_TYPE_${what.toUpperCase()}\\): map type not supported by tsbpf \\(.*${what}`).test((e as Error).message));
  }
  const before = space.regionCount;
  assert.throws(() => createMap(space, { type: D, keySize: 4, valueSize: 4, maxEntries: 1 << 20 }), (e) => isBpfError(e, ENOMEM));
  assert.equal(space.regionCount, before);
  // devmap hash slots are taken lazily from a pool of max_entries.
  const h = createMap(space, { type: DH, keySize: 4, valueSize: 4, maxEntries: 3 }) as DevMapHash;
  for (const k of [1, 2, 3]) assert.equal(h.update(u32(k), u32(1)), 0);
  assert.equal(h.delete(u32(2)), 0);
  assert.equal(h.update(u32(9), u32(1)), 0);
  assert.equal(h.size, 3);
  assert.deepEqual([1, 3, 9].map((k) => h.targetOf(k)), [1, 1, 1]);
});

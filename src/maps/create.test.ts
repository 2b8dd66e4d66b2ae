import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../vm/memory.ts';
import {
  BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS,
  BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED, BPF_F_CLONE,
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_STACK,
  BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS,
} from '../uapi/bpf.ts';
import { EACCES, EINVAL, EOPNOTSUPP } from '../uapi/errno.ts';
import { isBpfError } from '../util/errors.ts';
import { createMap, mapCreateErrno } from './create.ts';
import type { OpsMap } from '../../tools/kernel/map-ops.ts';
import { runOpsOnKernel } from '../../tools/kernel/map-ops.ts';
import { needKernel, record } from './test-helpers.ts';

const A = BPF_MAP_TYPE_ARRAY, H = BPF_MAP_TYPE_HASH;
/** Creation attributes whose kernel errno is checked (no BTF needed). */
const table: OpsMap[] = [
  { type: A, keySize: 4, valueSize: 8, maxEntries: 1 },
  { type: A, keySize: 8, valueSize: 8, maxEntries: 1 },
  { type: A, keySize: 4, valueSize: 0, maxEntries: 1 },
  { type: A, keySize: 4, valueSize: 8, maxEntries: 0 },
  { type: A, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_NO_PREALLOC },
  { type: A, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_MMAPABLE },
  { type: A, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_INNER_MAP },
  { type: A, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_PRESERVE_ELEMS },
  { type: A, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_RDONLY | BPF_F_WRONLY },
  { type: A, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG },
  { type: A, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_RDONLY_PROG },
  { type: A, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_ZERO_SEED },
  { type: A, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_CLONE },
  { type: A, keySize: 4, valueSize: 1 << 20, maxEntries: 1 },
  { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_MMAPABLE },
  { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 32768, maxEntries: 1 },
  { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 32769, maxEntries: 1 },
  { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_NUMA_NODE },
  { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 },
  { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 },
  { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_RDONLY_PROG },
  { type: H, keySize: 4, valueSize: 8, maxEntries: 1 },
  { type: H, keySize: 0, valueSize: 8, maxEntries: 1 },
  { type: H, keySize: 4, valueSize: 0, maxEntries: 1 },
  { type: H, keySize: 4, valueSize: 8, maxEntries: 0 },
  { type: H, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_NO_COMMON_LRU },
  { type: H, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED },
  { type: H, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_MMAPABLE },
  { type: H, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_INNER_MAP },
  { type: H, keySize: 4, valueSize: (1 << 22) - 52, maxEntries: 1 },
  { type: H, keySize: 4, valueSize: (1 << 22) - 53, maxEntries: 1 },
  { type: H, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_NUMA_NODE },
  { type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_NUMA_NODE },
  { type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 32769, maxEntries: 1 },
  { type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_NO_PREALLOC },
  { type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_NO_COMMON_LRU },
  { type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE },
  { type: BPF_MAP_TYPE_LRU_PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 3, flags: BPF_F_NO_COMMON_LRU },
  { type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 8, maxEntries: 4 },
  { type: BPF_MAP_TYPE_QUEUE, keySize: 4, valueSize: 8, maxEntries: 4 },
  { type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 0, maxEntries: 4 },
  { type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 8, maxEntries: 0 },
  { type: BPF_MAP_TYPE_STACK, keySize: 0, valueSize: 8, maxEntries: 4, flags: BPF_F_NO_PREALLOC },
  { type: BPF_MAP_TYPE_STACK, keySize: 0, valueSize: (1 << 22) + 1, maxEntries: 1 },
  { type: BPF_MAP_TYPE_STACK, keySize: 0, valueSize: 8, maxEntries: 4, flags: BPF_F_RDONLY },
  { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 },
  { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 * 3 },
  { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 2048 },
  { type: BPF_MAP_TYPE_RINGBUF, keySize: 4, valueSize: 0, maxEntries: 4096 },
  { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: BPF_F_RDONLY },
  { type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 1 },
];

test('creation errnos match the kernel', (t) => {
  if (!needKernel(t)) return;
  const k = runOpsOnKernel(table, []);
  const ours = table.map((a) => mapCreateErrno({ ...a, nCpus: k.cpus }));
  table.forEach((a, i) => assert.equal(ours[i], k.maps[i], `attrs ${JSON.stringify(a)}`));
});

test('creation errnos without the kernel (recorded from 6.18)', () => {
  assert.equal(mapCreateErrno({ type: A, keySize: 8, valueSize: 8, maxEntries: 1 }), EINVAL);
  assert.equal(mapCreateErrno({ type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 1, flags: BPF_F_NO_PREALLOC }), 524);
  assert.equal(mapCreateErrno({ type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 1 }), EINVAL);
});

// bpf-run cannot pass BTF, so these follow shared/spec/bpf-timer.md §5.1 (confirmed on 6.18 there).
test('special fields: allowed types, EOPNOTSUPP elsewhere, EACCES with *_PROG flags (spec §5.1)', () => {
  const timer = record([{ kind: 'timer', offset: 8, size: 16 }]);
  const lock = record([{ kind: 'spin_lock', offset: 0, size: 4 }]);
  const base = { keySize: 4, valueSize: 24, maxEntries: 4, record: timer };
  for (const type of [A, H, BPF_MAP_TYPE_LRU_HASH]) assert.equal(mapCreateErrno({ ...base, type }), 0);
  for (const type of [BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH]) {
    assert.equal(mapCreateErrno({ ...base, type }), EOPNOTSUPP);
  }
  assert.equal(mapCreateErrno({ ...base, type: BPF_MAP_TYPE_QUEUE, keySize: 0 }), EOPNOTSUPP);
  assert.equal(mapCreateErrno({ ...base, type: A, flags: BPF_F_RDONLY_PROG }), EACCES);
  assert.equal(mapCreateErrno({ ...base, type: H, flags: BPF_F_WRONLY_PROG }), EACCES);
  assert.equal(mapCreateErrno({ ...base, type: A, flags: BPF_F_RDONLY }), 0);
  assert.equal(mapCreateErrno({ ...base, type: A, flags: BPF_F_MMAPABLE }), 0);
  // A spin lock is only for hash and array maps (map_check_btf).
  assert.equal(mapCreateErrno({ ...base, record: lock, type: BPF_MAP_TYPE_LRU_HASH }), EOPNOTSUPP);
  assert.equal(mapCreateErrno({ ...base, record: lock, type: H }), 0);
  // A record whose parse failed counts as no fields.
  assert.equal(mapCreateErrno({ ...base, type: BPF_MAP_TYPE_PERCPU_ARRAY, record: { ...timer, error: { errno: EINVAL, reason: 'two timers' } } }), 0);
});

test('createMap throws a typed BpfError; map names are checked', () => {
  const space = new AddressSpace();
  assert.throws(() => createMap(space, { type: A, keySize: 8, valueSize: 8, maxEntries: 1 }), (e) => isBpfError(e, EINVAL));
  assert.throws(() => createMap(space, { type: A, keySize: 4, valueSize: 8, maxEntries: 1, name: 'bad-name' }), (e) => isBpfError(e, EINVAL));
  assert.throws(() => createMap(space, { type: A, keySize: 4, valueSize: 8, maxEntries: 1, name: 'x'.repeat(16) }), (e) => isBpfError(e, EINVAL));
  const m = createMap(space, { type: A, keySize: 4, valueSize: 8, maxEntries: 1, name: 'ok.name_1' });
  assert.equal(m.name, 'ok.name_1');
  assert.ok(space.find(m.ptr, 0) !== undefined);
  const lru = createMap(space, { type: BPF_MAP_TYPE_LRU_PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 3, flags: BPF_F_NO_COMMON_LRU, nCpus: 2 });
  assert.equal(lru.maxEntries, 4); // rounded up to a multiple of the CPUs
});

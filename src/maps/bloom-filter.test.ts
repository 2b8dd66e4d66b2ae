// Bloom filter sizing and semantics without the kernel (the kernel comparison is in
// kernel-diff.test.ts and the maps_bloom_filter scenario).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../vm/memory.ts';
import { BPF_F_ZERO_SEED, BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_HASH } from '../uapi/bpf.ts';
import { E2BIG, EINVAL, ENOENT, EOPNOTSUPP } from '../uapi/errno.ts';
import { BloomFilterMap, bloomBitsetMask, bloomHashCount } from './bloom-filter.ts';
import { createMap, KMALLOC_MAX_SIZE, mapCreateErrno } from './create.ts';
import { u32 } from './test-helpers.ts';

test('bloom filter sizing: hash count from map_extra, bit set of n * k * 7 / 5 bits rounded to a power of two', () => {
  assert.equal(bloomHashCount(0n), 5);
  assert.equal(bloomHashCount(3n), 3);
  assert.equal(bloomBitsetMask(16, 3), 63);          // 16 * 3 / 5 * 7 = 63: the 64-bit minimum
  assert.equal(bloomBitsetMask(100, 5), 1023);       // 700 bits
  assert.equal(bloomBitsetMask(1 << 20, 5), (1 << 23) - 1);
  assert.equal(bloomBitsetMask(0xffff_ffff, 2), 0xffff_ffff); // the product overflows a u32
});

test('bloom filter creation: map_extra only for bloom filters, keyless, at most 15 hashes', () => {
  const a = { type: BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 8 };
  assert.equal(mapCreateErrno({ ...a, mapExtra: 15n }), 0);
  assert.equal(mapCreateErrno({ ...a, mapExtra: 16n }), EINVAL);
  assert.equal(mapCreateErrno({ ...a, keySize: 4 }), EINVAL);
  assert.equal(mapCreateErrno({ ...a, valueSize: KMALLOC_MAX_SIZE + 1 }), E2BIG);
  assert.equal(mapCreateErrno({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 8, mapExtra: 1n }), EINVAL);
});

test('bloom filter: pushed values are claimed; delete, pop and iteration are refused', () => {
  const m = createMap(new AddressSpace(), { type: BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 64, flags: BPF_F_ZERO_SEED, mapExtra: 3n });
  assert.ok(m instanceof BloomFilterMap);
  assert.equal(m.contains(u32(42)), -ENOENT);
  assert.equal(m.update(undefined, u32(42), 1), -EINVAL, 'only BPF_ANY');
  assert.equal(m.update(undefined, u32(42)), 0);
  assert.equal(m.contains(u32(42)), 0);
  assert.equal(m.delete(undefined), -EOPNOTSUPP);
  assert.equal(m.getNextKey(undefined), -EOPNOTSUPP);
  // 64 entries and 3 hashes: 256 bits; one value sets at most 3 of them.
  let claimed = 0;
  for (let v = 0; v < 1000; v++) if (m.contains(u32(v)) === 0) claimed++;
  assert.ok(claimed >= 1 && claimed < 50, `${claimed} of 1000 values claimed after one push`);
});

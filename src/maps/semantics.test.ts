// Semantics that need no kernel: BPF-side pointer ops, element reuse, special fields and hooks,
// LRU invariants, ring buffer layout, map-in-map and prog array references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../vm/memory.ts';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_NOEXIST, BPF_RB_FORCE_WAKEUP,
  BPF_RB_NO_WAKEUP, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS,
  BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_QUEUE, BPF_RB_AVAIL_DATA, BPF_RB_PROD_POS, BPF_RB_RING_SIZE,
  BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_F_INNER_MAP,
} from '../uapi/bpf.ts';
import { E2BIG, EAGAIN, EEXIST, EINVAL, ENOENT } from '../uapi/errno.ts';
import { createMap } from './create.ts';
import type { HashMap } from './hash.ts';
import { HTAB_ELEM_HDR } from './hash.ts';
import type { LruHashMap } from './lru-hash.ts';
import type { ArrayOfMapsMap, HashOfMapsMap } from './map-in-map.ts';
import type { BpfMap, ProgRef } from './map.ts';
import type { ProgArrayMap } from './prog-array.ts';
import type { RingBufMap } from './ringbuf.ts';
import { BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT } from './ringbuf.ts';
import { FakeHooks, record, u32, u64 } from './test-helpers.ts';

/** A scratch buffer in the address space standing in for the BPF stack. */
function stack(space: AddressSpace) {
  const r = space.alloc(64, { kind: 'stack', name: 'stack' });
  return {
    ptr: r.ptr,
    put(b: Uint8Array, at = 0): bigint { r.bytes().set(b, at); return r.ptr + BigInt(at); },
  };
}
const readU64 = (space: AddressSpace, p: bigint): bigint => space.load(p, 8, 0);

test('hash: BPF-side ops, deleted element memory reused by the next insert, spare-element replace', () => {
  const space = new AddressSpace();
  const m = createMap(space, { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 2 }) as HashMap;
  const s = stack(space);
  const k1 = s.put(u32(1), 0), k2 = s.put(u32(2), 8), v = s.put(u64(11), 16);
  assert.equal(m.updateElem(k1, v, BigInt(BPF_NOEXIST), 0), 0);
  assert.equal(m.updateElem(k1, v, BigInt(BPF_NOEXIST), 0), -EEXIST);
  assert.equal(m.updateElem(k2, v, BigInt(BPF_EXIST), 0), -ENOENT);
  assert.equal(m.updateElem(k1, v, 8n, 0), -EINVAL);
  const p1 = m.lookupElem(k1, 0);
  assert.notEqual(p1, 0n);
  assert.equal(readU64(space, p1), 11n);
  // The key sits right before the value, padded to 8 bytes.
  assert.equal(space.load(p1 - 8n, 4, 0), 1n);
  assert.equal(HTAB_ELEM_HDR % 8, 0);
  // Replace: the new value goes to another element (the per-CPU spare); the stale pointer keeps the old value.
  s.put(u64(22), 16);
  assert.equal(m.updateElem(k1, v, BigInt(BPF_ANY), 0), 0);
  const p1b = m.lookupElem(k1, 0);
  assert.notEqual(p1b, p1);
  assert.equal(readU64(space, p1), 11n);
  assert.equal(readU64(space, p1b), 22n);
  // Delete then insert another key: the freed element is reused (LIFO), a stale pointer sees it.
  assert.equal(m.deleteElem(k1, 0), 0);
  assert.equal(m.deleteElem(k1, 0), -ENOENT);
  s.put(u64(33), 16);
  assert.equal(m.updateElem(k2, v, BigInt(BPF_ANY), 0), 0);
  assert.equal(m.lookupElem(k2, 0), p1b);
  assert.equal(readU64(space, p1b), 33n);
  assert.equal(m.lookupElem(k1, 0), 0n);
  s.put(u32(3), 0);
  assert.equal(m.updateElem(k1, v, 0n, 0), 0);
  s.put(u32(4), 0);
  assert.equal(m.updateElem(k1, v, 0n, 0), -E2BIG);
  assert.equal(m.count, 2);
});

test('no-prealloc hash: max_entries enforced by count, replace allowed when full', () => {
  const space = new AddressSpace();
  const m = createMap(space, { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 2, flags: BPF_F_NO_PREALLOC });
  assert.equal(m.update(u32(1), u64(1)), 0);
  assert.equal(m.update(u32(2), u64(2)), 0);
  assert.equal(m.update(u32(3), u64(3)), -E2BIG);
  assert.equal(m.update(u32(2), u64(5)), 0);
  assert.deepEqual(m.lookup(u32(2)), u64(5));
});

test('per-CPU maps: BPF side touches only the calling CPU; a new hash element zeroes the others', () => {
  const space = new AddressSpace();
  const a = createMap(space, { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, nCpus: 3 });
  const s = stack(space);
  const k = s.put(u32(1), 0), v = s.put(u32(7), 8);
  assert.equal(a.updateElem(k, v, 0n, 2), 0);
  assert.notEqual(a.lookupElem(k, 0), a.lookupElem(k, 2));
  const all = a.lookup(u32(1)) as Uint8Array;
  assert.equal(all.length, 24);
  assert.deepEqual([...all], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
  const h = createMap(space, { type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 2, nCpus: 2 });
  assert.equal(h.update(u32(1), Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0])), 0);
  assert.equal(h.deleteElem(k, 0), 0);
  assert.equal(h.updateElem(k, v, 0n, 1), 0); // reuses the element: CPU 0's old bytes must be gone
  assert.deepEqual([...(h.lookup(u32(1)) as Uint8Array)], [0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(h.updateElem(k, v, BigInt(BPF_F_LOCK), 1), -EINVAL);
});

test('special fields: copies skip them, user reads zero them, hooks run on the kernel events', () => {
  const space = new AddressSpace();
  const rec = record([{ kind: 'spin_lock', offset: 0, size: 4 }, { kind: 'timer', offset: 8, size: 16 }]);
  const hooks = new FakeHooks();
  const arr = createMap(space, { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 32, maxEntries: 2, record: rec, name: 'arr' });
  arr.hooks = hooks;
  const val = new Uint8Array(32).fill(0xab);
  assert.equal(arr.update(u32(1), val), 0);
  const ptr = arr.lookupElem(stack(space).put(u32(1)), 0);
  const raw = space.slice(ptr, 32, 'read', 0);
  assert.deepEqual([...raw.subarray(0, 4)], [0, 0, 0, 0]); // spin lock not copied into
  assert.deepEqual([...raw.subarray(4, 8)], [0xab, 0xab, 0xab, 0xab]);
  assert.ok(raw.subarray(8, 24).every((b) => b === 0)); // timer not copied into
  raw.fill(0x55, 8, 24); // what a live timer would leave there
  const out = arr.lookup(u32(1)) as Uint8Array;
  assert.ok(out.subarray(8, 24).every((b) => b === 0), 'user read zeroes the timer');
  assert.ok(out.subarray(24).every((b) => b === 0xab));
  assert.deepEqual(hooks.calls, [['arr', ptr]]); // array update frees fields after the copy
  assert.equal(arr.update(u32(1), val, BPF_F_LOCK), 0);
  assert.equal(hooks.calls.length, 2, 'BPF_F_LOCK array update frees too');
  assert.equal(arr.freeze(), -524);
  arr.releaseUserRefs();
  assert.equal(hooks.calls.length, 4, 'uref release walks every element');

  const h = createMap(space, { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 32, maxEntries: 4, record: rec, name: 'h' }) as HashMap;
  h.hooks = hooks;
  hooks.calls.length = 0;
  assert.equal(h.update(u32(1), val), 0);
  const p1 = h.lookupElem(stack(space).put(u32(1)), 0);
  assert.equal(h.update(u32(1), val, BPF_F_LOCK), 0);
  assert.equal(h.lookupElem(stack(space).put(u32(1)), 0), p1, 'BPF_F_LOCK updates in place');
  assert.equal(hooks.calls.length, 0, 'no free on an in-place update');
  assert.equal(h.update(u32(1), val), 0);
  assert.deepEqual(hooks.calls, [['h', p1]], 'replace frees the old element');
  const p2 = h.lookupElem(stack(space).put(u32(1)), 0);
  assert.equal(h.delete(u32(1)), 0);
  assert.deepEqual(hooks.calls[1], ['h', p2]);
  assert.equal(h.update(u32(2), val), 0);
  h.destroy();
  assert.equal(hooks.calls.length, 3, 'map free runs the hook on every element');
  const noLock = createMap(space, { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
  assert.equal(noLock.update(u32(1), u64(1), BPF_F_LOCK), -EINVAL);
  assert.equal(noLock.lookup(u32(1), BPF_F_LOCK), -EINVAL);
});

test('LRU: never E2BIG, size bounded, newest present, referenced elements get a second chance, eviction frees fields', () => {
  const space = new AddressSpace();
  const rec = record([{ kind: 'timer', offset: 0, size: 16 }]);
  const m = createMap(space, { type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 16, maxEntries: 8, record: rec, name: 'lru' }) as LruHashMap;
  const hooks = new FakeHooks();
  m.hooks = hooks;
  const s = stack(space);
  for (let i = 0; i < 8; i++) assert.equal(m.update(u32(i), new Uint8Array(16)), 0);
  assert.equal(m.lookupElem(s.put(u32(0)), 0) !== 0n, true); // sets the reference bit of key 0
  for (let i = 8; i < 40; i++) {
    assert.equal(m.update(u32(i), new Uint8Array(16)), 0);
    assert.ok(m.count <= 8);
    assert.notEqual(m.lookup(u32(i)), -ENOENT);
    if (i === 8) assert.notEqual(m.lookup(u32(0)), -ENOENT, 'referenced key survives the next eviction');
  }
  assert.equal(m.evictions, 32);
  assert.equal(hooks.calls.length, 32);
  assert.equal(m.update(u32(100), new Uint8Array(16), BPF_EXIST), -ENOENT);
  assert.equal(m.count, 7, 'a failing update on a full LRU map still evicted, as on the kernel');
  const pc = createMap(space, { type: BPF_MAP_TYPE_LRU_PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_NO_COMMON_LRU, nCpus: 2 }) as LruHashMap;
  const v = s.put(u64(5), 8);
  for (let i = 0; i < 10; i++) assert.equal(pc.updateElem(s.put(u32(i)), v, 0n, 1), 0);
  assert.equal(pc.count, 2, 'CPU 1 only uses its own half of the pool');
});

test('queue: BPF push/pop/peek; pop on empty zeroes the buffer', () => {
  const space = new AddressSpace();
  const q = createMap(space, { type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 });
  const s = stack(space);
  const v = s.put(u32(9), 0);
  assert.equal(q.pushElem(v, 0n, 0), 0);
  assert.equal(q.peekElem(s.ptr + 8n, 0), 0);
  assert.equal(space.load(s.ptr + 8n, 4, 0), 9n);
  assert.equal(q.popElem(s.ptr + 8n, 0), 0);
  s.put(u32(0xffffffff), 8);
  assert.equal(q.popElem(s.ptr + 8n, 0), -ENOENT);
  assert.equal(space.load(s.ptr + 8n, 4, 0), 0n);
  assert.equal(q.pushElem(v, BigInt(BPF_NOEXIST), 0), -EINVAL);
});

test('ring buffer: record layout, busy/discard bits, order, space accounting, query', () => {
  const space = new AddressSpace();
  const rb = createMap(space, { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingBufMap;
  const a = rb.reserve(5n, 0n);
  assert.notEqual(a, 0n);
  assert.equal(Number(space.load(a - 8n, 4, 0)), (5 | BPF_RINGBUF_BUSY_BIT) >>> 0);
  space.store(a, 1, 0x41n, 0);
  const b = rb.reserve(3n, 0n);
  assert.equal(b - a, 16n, 'records take round_up(len + 8, 8)');
  assert.deepEqual(rb.consume(), [], 'a busy first record blocks the consumer');
  rb.commit(b, 0n, true);
  assert.equal(Number(space.load(b - 8n, 4, 0)), (3 | BPF_RINGBUF_DISCARD_BIT) >>> 0);
  rb.commit(a, BigInt(BPF_RB_NO_WAKEUP), false);
  assert.equal(rb.query(BigInt(BPF_RB_AVAIL_DATA)), 32n);
  assert.equal(rb.query(BigInt(BPF_RB_RING_SIZE)), 4096n);
  const got = rb.consume();
  assert.equal(got.length, 1);
  assert.equal(got[0]![0], 0x41);
  assert.equal(rb.query(BigInt(BPF_RB_AVAIL_DATA)), 0n);
  assert.equal(rb.reserve(8n, 1n), 0n, 'reserve flags must be 0');
  assert.equal(rb.reserve(4096n, 0n), 0n, 'bigger than the ring');
  const data = stack(space).put(new Uint8Array(8).fill(7));
  assert.equal(rb.output(data, 8n, 4n), -EINVAL);
  let n = 0;
  while (rb.output(data, 8n, BigInt(BPF_RB_FORCE_WAKEUP)) === 0) n++;
  assert.equal(n, 255, '4096 bytes hold 255 16-byte records (one byte of the mask stays free)');
  assert.equal(rb.output(data, 8n, 0n), -EAGAIN);
  assert.equal(rb.consume().length, 255);
  assert.equal(rb.query(BigInt(BPF_RB_PROD_POS)), 32n + 255n * 16n);
  // Wrapping records stay contiguous.
  for (let i = 0; i < 300; i++) { assert.equal(rb.output(data, 8n, 0n), 0); assert.equal(rb.consume().length, 1); }
});

test('map-in-map: template check, BPF lookup returns the inner map pointer, references counted', () => {
  const space = new AddressSpace();
  const mk = (max: number, flags = 0): BpfMap => createMap(space, { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: max, flags, id: max });
  const tmpl = mk(4);
  const outer = createMap(space, { type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMapTemplate: tmpl }) as ArrayOfMapsMap;
  const inner = mk(4);
  const released: BpfMap[] = [];
  outer.onInnerReleased = (m) => released.push(m);
  assert.equal(outer.updateInner(u32(0), mk(5)), -EINVAL, 'max_entries differs');
  assert.equal(outer.updateInner(u32(0), inner, BPF_NOEXIST), -EINVAL);
  assert.equal(outer.updateInner(u32(0), inner), 0);
  assert.equal(inner.refCount, 1);
  assert.equal(outer.lookupElem(stack(space).put(u32(0)), 0), inner.ptr);
  assert.deepEqual(outer.lookup(u32(0)), u32(inner.id));
  assert.equal(outer.update(u32(0), u32(3)), -9, 'raw bytes are not a map');
  assert.equal(outer.delete(u32(0)), 0);
  assert.equal(inner.refCount, 0);
  assert.deepEqual(released, [inner]);
  const flex = mk(4, BPF_F_INNER_MAP);
  const outer2 = createMap(space, { type: BPF_MAP_TYPE_HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMapTemplate: flex }) as HashOfMapsMap;
  const other = mk(9, BPF_F_INNER_MAP);
  assert.equal(outer2.updateInner(u32(7), other), 0, 'BPF_F_INNER_MAP allows another max_entries');
  assert.equal(outer2.lookupElem(stack(space).put(u32(7)), 0), other.ptr);
  assert.equal(outer2.updateInner(u32(7), other), 0);
  assert.equal(other.refCount, 1, 'replace drops the old reference');
  outer2.destroy();
  assert.equal(other.refCount, 0);
});

test('prog array: owner type, ids, cleared on the last user reference', () => {
  const space = new AddressSpace();
  const pa = createMap(space, { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }) as ProgArrayMap;
  const prog = (id: number, type: number): ProgRef & { refs: number } => ({ id, type, refs: 0, acquire() { this.refs++; }, release() { this.refs--; } });
  const p = prog(7, 6), q = prog(8, 3);
  assert.equal(pa.updateProg(u32(0), p), 0);
  assert.equal(pa.updateProg(u32(1), q), -EINVAL, 'another program type');
  assert.equal(pa.updateProg(u32(2), p), -E2BIG);
  assert.deepEqual(pa.lookup(u32(0)), u32(7));
  assert.equal(pa.progAt(0), p);
  assert.equal(p.refs, 1);
  pa.releaseUserRefs();
  assert.equal(p.refs, 0);
  assert.equal(pa.lookup(u32(0)), -ENOENT);
});

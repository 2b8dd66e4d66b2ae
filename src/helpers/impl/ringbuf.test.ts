import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../../vm/memory.ts';
import type { HelperEnv } from '../../vm/abi.ts';
import { createMap } from '../../maps/create.ts';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_RINGBUF, BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE } from '../../uapi/bpf.ts';
import { RunError } from '../../util/errors.ts';
import { RingBufMap } from '../../maps/ringbuf.ts';
import { ringbufHelpers } from './ringbuf.ts';
import type { RunBinding } from './run-state.ts';

describe('ring buffer helpers', () => {
  const memory = new AddressSpace();
  const rb = createMap(memory, { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: 'rb' });
  const arr = createMap(memory, { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'arr' });
  const binding: RunBinding = {
    mapAt: (ptr) => [rb, arr].find((m) => m.ptr === ptr),
    run: () => { throw new Error('not used'); },
    progArraySlot: () => undefined,
  };
  const env: HelperEnv = { memory, insnIdx: 7, callFunction: () => 0n };
  const h = ringbufHelpers(binding);
  assert.ok(rb instanceof RingBufMap);
  const consume = (): string[] => rb.consume().map((b) => new TextDecoder().decode(b));

  it('reserve + submit publishes a record; discard hides it; the consumer sees them in order', () => {
    const a = h.reserve(env, rb.ptr, 5n, 0n, 0n, 0n);
    assert.notEqual(a, 0n);
    memory.slice(a, 5, 'write', 0).set(new TextEncoder().encode('first'));
    const b = h.reserve(env, rb.ptr, 6n, 0n, 0n, 0n);
    memory.slice(b, 6, 'write', 0).set(new TextEncoder().encode('second'));
    assert.deepEqual(consume(), [], 'nothing is visible while the oldest record is reserved');
    assert.equal(h.discard(env, b, 0n, 0n, 0n, 0n), 0n);
    assert.equal(h.submit(env, a, 0n, 0n, 0n, 0n), 0n);
    assert.equal(h.query(env, rb.ptr, BigInt(BPF_RB_AVAIL_DATA), 0n, 0n, 0n), 32n, 'two records of 8 + 8 bytes, rounded');
    assert.deepEqual(consume(), ['first']);
    assert.equal(h.query(env, rb.ptr, BigInt(BPF_RB_RING_SIZE), 0n, 0n, 0n), 4096n);
  });

  it('output copies the data; bad flags are -EINVAL, no space is -EAGAIN, reserve with flags fails', () => {
    const src = memory.alloc(8, { kind: 'scratch', name: 'src' });
    src.bytes().set(new TextEncoder().encode('payload!'));
    assert.equal(h.output(env, rb.ptr, src.ptr, 8n, 0n, 0n), 0n);
    assert.deepEqual(consume(), ['payload!']);
    assert.equal(BigInt.asIntN(64, h.output(env, rb.ptr, src.ptr, 8n, 4n, 0n)), -22n);
    assert.equal(h.reserve(env, rb.ptr, 8n, 1n, 0n, 0n), 0n);
    assert.equal(h.reserve(env, rb.ptr, 8192n, 0n, 0n, 0n), 0n, 'larger than the ring');
  });

  it('refuses a map that is not a ring buffer and a pointer that is not a sample', () => {
    assert.throws(() => h.reserve(env, arr.ptr, 8n, 0n, 0n, 0n), (e: unknown) => e instanceof RunError && /not a ring buffer \(insn 7\)/.test(e.message));
    assert.throws(() => h.submit(env, arr.ptr, 0n, 0n, 0n, 0n), RunError);
  });
});

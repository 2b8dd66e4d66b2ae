// AddressSpace.reshape: a region replaced in place by one of another size inside its block.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from './memory.ts';
import { InternalError, RunError } from '../util/errors.ts';

describe('AddressSpace.reshape', () => {
  it('gives a zero-filled region at the same address; the old one is dead; bytes past the new end fault', () => {
    const as = new AddressSpace();
    const r = as.alloc(4096, { kind: 'packet', name: 'pkt', writable: true });
    const after = as.alloc(16, { kind: 'scratch', name: 'after' });
    r.bytes().fill(0xaa);
    const small = as.reshape(r, 100)!;
    assert.equal(small.offset, r.offset);
    assert.equal(small.sizeBytes, 100);
    assert.equal(small.name, 'pkt');
    assert.equal(r.live, false);
    assert.throws(() => r.bytes(), InternalError);
    assert.deepEqual([...small.bytes()], new Array(100).fill(0));
    assert.equal(as.find(small.ptr + 100n, 1), undefined);
    assert.throws(() => as.load(small.ptr + 100n, 1, 0), RunError);
    assert.equal(as.load(small.ptr + 99n, 1, 0), 0n);
    // Growing again within the block: zeroed, also where the first region had 0xaa.
    const big = as.reshape(small, 4000)!;
    assert.deepEqual([...big.bytes()], new Array(4000).fill(0));
    assert.equal(as.find(big.ptr + 3999n, 1), big);
    assert.equal(as.regionCount, 2);
    // Beyond the block: refused, the region untouched.
    assert.equal(as.reshape(big, 4097), undefined);
    assert.equal(big.live, true);
    as.free(big);
    as.free(after);
    assert.equal(as.regionCount, 0);
    assert.throws(() => as.reshape(big, 8), InternalError);
  });

  it('keeps the guard bytes of guarded regions', () => {
    const as = new AddressSpace();
    const r = as.alloc(64, { kind: 'stack', name: 's', guardBytes: 32 });
    assert.equal(as.reshape(r, 65), undefined);
    const same = as.reshape(r, 64)!;
    assert.equal(same.guardBytes, 32);
    assert.equal(as.find(same.ptr + 64n, 1), undefined);
  });
});

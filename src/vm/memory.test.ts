import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADDR_BASE, AddressSpace, WASM_PAGE_BYTES, type Region } from './memory.ts';
import { InternalError, RunError, isBpfError } from '../util/errors.ts';
import { EINVAL, ENOMEM } from '../uapi/errno.ts';

const scratch = (name = 's', extra: object = {}) => ({ kind: 'scratch' as const, name, ...extra });

function faultMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RunError, `expected RunError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('no fault');
}

describe('AddressSpace allocation', () => {
  it('never hands out the first page, and pointers are ADDR_BASE + offset', () => {
    const as = new AddressSpace();
    const r = as.alloc(16, scratch());
    assert.ok(r.offset >= WASM_PAGE_BYTES);
    assert.equal(r.ptr, ADDR_BASE + BigInt(r.offset));
    assert.equal(ADDR_BASE, 0x1_0000_0000n);
    assert.equal(as.find(0n, 1), undefined);
    assert.equal(as.find(ADDR_BASE, 1), undefined);
    assert.equal(as.find(ADDR_BASE + 100n, 8), undefined);
    assert.equal(as.find(BigInt(r.offset), 1), undefined, 'a bare offset is not a pointer');
  });

  it('aligns (default 8, or as asked) and zero-fills, also when reusing dirty space', () => {
    const as = new AddressSpace();
    as.alloc(3, scratch());
    const b = as.alloc(5, scratch());
    assert.equal(b.offset % 8, 0);
    const c = as.alloc(64, scratch('c', { align: 4096 }));
    assert.equal(c.offset % 4096, 0);
    c.bytes().fill(0xaa);
    as.free(c);
    const d = as.alloc(64, scratch('d', { align: 4096 }));
    assert.equal(d.offset, c.offset);
    assert.deepEqual([...d.bytes()], new Array(64).fill(0));
  });

  it('reuses freed space, coalesces neighbours and lowers the top', () => {
    const as = new AddressSpace();
    const a = as.alloc(64, scratch('a'));
    const b = as.alloc(64, scratch('b'));
    const c = as.alloc(64, scratch('c'));
    as.free(a);
    as.free(b);
    const ab = as.alloc(128, scratch('ab'));
    assert.equal(ab.offset, a.offset, 'a and b coalesced into one block');
    as.free(c);
    const c2 = as.alloc(256, scratch('c2'));
    assert.equal(c2.offset, c.offset, 'freeing the last block lowered the top');
    assert.equal(as.regionCount, 2);
    assert.equal(as.usedBytes, 128 + 256);
  });

  it('grows the memory while regions are live; views are refreshed and contents kept', () => {
    const as = new AddressSpace({ initialBytes: 2 * WASM_PAGE_BYTES });
    const small = as.alloc(8, scratch('small'));
    small.bytes().set([1, 2, 3, 4, 5, 6, 7, 8]);
    const oldView = small.bytes();
    const oldAll = as.u8();
    const before = as.memory.buffer.byteLength;
    const big = as.alloc(3 * WASM_PAGE_BYTES, scratch('big'));
    assert.ok(as.memory.buffer.byteLength > before);
    assert.equal(oldView.byteLength, 0, 'the old view was detached by grow()');
    assert.equal(oldAll.byteLength, 0);
    assert.deepEqual([...small.bytes()], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(as.load(small.ptr, 8, 0), 0x0807060504030201n);
    as.store(big.ptr + BigInt(big.sizeBytes - 8), 8, 0x1122334455667788n, 0);
    assert.equal(big.view().getBigUint64(big.sizeBytes - 8, true), 0x1122334455667788n);
    assert.equal(as.dataView().byteLength, as.memory.buffer.byteLength);
  });

  it('is bounded: alloc throws ENOMEM, tryAlloc returns undefined', () => {
    const as = new AddressSpace({ maxBytes: 4 * WASM_PAGE_BYTES });
    const r = as.alloc(2 * WASM_PAGE_BYTES, scratch());
    assert.throws(() => as.alloc(2 * WASM_PAGE_BYTES, scratch('x')), (e: unknown) => isBpfError(e, ENOMEM) && /limit/.test((e as Error).message));
    assert.equal(as.tryAlloc(2 * WASM_PAGE_BYTES, scratch('x')), undefined);
    as.free(r);
    assert.ok(as.tryAlloc(2 * WASM_PAGE_BYTES, scratch('y')));
  });

  it('rejects bad sizes and alignments (EINVAL) and double frees (InternalError)', () => {
    const as = new AddressSpace();
    assert.throws(() => as.alloc(-1, scratch()), (e: unknown) => isBpfError(e, EINVAL));
    assert.throws(() => as.alloc(1.5, scratch()), (e: unknown) => isBpfError(e, EINVAL));
    assert.throws(() => as.alloc(8, scratch('x', { align: 3 })), (e: unknown) => isBpfError(e, EINVAL));
    const r = as.alloc(8, scratch());
    as.free(r);
    assert.throws(() => as.free(r), InternalError);
    assert.throws(() => r.bytes(), InternalError);
    const other = new AddressSpace().alloc(8, scratch());
    assert.throws(() => as.free(other), InternalError);
  });

  it('keeps zero-sized regions distinct', () => {
    const as = new AddressSpace();
    const a = as.alloc(0, scratch('a'));
    const b = as.alloc(0, scratch('b'));
    assert.notEqual(a.ptr, b.ptr);
    assert.equal(as.find(a.ptr, 1), undefined);
    assert.equal(as.find(a.ptr, 0), a);
  });

  it('survives random alloc/free with no overlap and no lost data', () => {
    const as = new AddressSpace({ initialBytes: WASM_PAGE_BYTES * 2 });
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const live: { r: Region; tag: number }[] = [];
    for (let step = 0; step < 3000; step++) {
      if (live.length > 0 && rnd(3) === 0) {
        const [gone] = live.splice(rnd(live.length), 1);
        as.free(gone!.r);
      } else {
        const align = [1, 8, 64, 256][rnd(4)]!;
        const r = as.alloc(rnd(2000), scratch(`r${step}`, { align, guardBytes: rnd(2) * 16 }));
        assert.equal(r.offset % align, 0);
        const tag = step & 0xff;
        r.bytes().fill(tag);
        live.push({ r, tag });
      }
    }
    const sorted = live.map((l) => l.r).sort((x, y) => x.offset - y.offset);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1]!.end <= sorted[i]!.offset, 'regions overlap');
    for (const { r, tag } of live) {
      assert.ok(r.bytes().every((b) => b === tag), `region ${r.name} lost its contents`);
      if (r.sizeBytes > 0) assert.equal(as.find(r.ptr + BigInt(r.sizeBytes - 1), 1), r);
    }
    assert.equal(as.regionCount, live.length);
  });
});

describe('AddressSpace checked access', () => {
  it('finds the region containing a whole range, with a last-hit cache that stays correct', () => {
    const as = new AddressSpace();
    const a = as.alloc(32, scratch('a', { guardBytes: 8 }));
    const b = as.alloc(32, scratch('b', { guardBytes: 8 }));
    assert.equal(as.find(a.ptr, 32), a);
    assert.equal(as.find(a.ptr + 24n, 8), a);
    assert.equal(as.find(a.ptr + 25n, 8), undefined, 'straddles the end');
    assert.equal(as.find(a.ptr - 1n, 1), undefined, 'guard byte');
    assert.equal(as.find(b.ptr + 4n, 4), b);
    assert.equal(as.find(a.ptr + 4n, 4), a);
    as.free(a);
    assert.equal(as.find(a.ptr + 4n, 4), undefined, 'freed region');
    assert.equal(as.find(0xffff_ffff_ffff_fff0n, 8), undefined);
  });

  it('loads and stores little-endian, truncating stored values to the size', () => {
    const as = new AddressSpace();
    const r = as.alloc(16, scratch());
    as.store(r.ptr, 8, 0x8877665544332211n, 0);
    assert.deepEqual([...r.bytes().subarray(0, 8)], [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    assert.equal(as.load(r.ptr, 1, 0), 0x11n);
    assert.equal(as.load(r.ptr, 2, 0), 0x2211n);
    assert.equal(as.load(r.ptr, 4, 0), 0x44332211n);
    as.store(r.ptr + 8n, 2, 0xabcdefn, 0);
    assert.equal(as.load(r.ptr + 8n, 4, 0), 0xcdefn);
    as.store(r.ptr + 8n, 4, -1n, 0);
    assert.equal(as.load(r.ptr + 8n, 8, 0), 0xffff_ffffn);
  });

  it('faults with the address, size, access kind and insn', () => {
    const as = new AddressSpace();
    const r = as.alloc(8, scratch());
    assert.equal(faultMessage(() => as.load(0n, 8, 12)), 'invalid memory access: read of 8 bytes at 0x0 (insn 12)');
    assert.equal(faultMessage(() => as.store(r.ptr + 4n, 8, 0n, 3)), `invalid memory access: write of 8 bytes at 0x${(r.ptr + 4n).toString(16)} (insn 3)`);
    assert.equal(faultMessage(() => as.load(r.ptr + 8n, 1, 0)), `invalid memory access: read of 1 byte at 0x${(r.ptr + 8n).toString(16)} (insn 0)`);
    // Inside the wasm memory but outside every region: still a fault.
    assert.ok(ADDR_BASE + 200n < ADDR_BASE + BigInt(as.memory.buffer.byteLength));
    assert.match(faultMessage(() => as.load(ADDR_BASE + 200n, 4, 1)), /read of 4 bytes/);
  });

  it('refuses writes into read-only regions but allows reads', () => {
    const as = new AddressSpace();
    const ro = as.alloc(8, { kind: 'map', name: '.rodata', writable: false });
    assert.equal(as.load(ro.ptr, 8, 0), 0n);
    const e = faultMessage(() => as.store(ro.ptr, 4, 1n, 7));
    assert.match(e, /write of 4 bytes at 0x[0-9a-f]+ \(read-only map '\.rodata'\) \(insn 7\)/);
    assert.throws(() => as.slice(ro.ptr, 8, 'write', 0), RunError);
    assert.equal(as.slice(ro.ptr, 8, 'read', 0).byteLength, 8);
  });
});

describe('context field hooks (RegionFields)', () => {
  it('loads go through the hook when it answers and read the bytes otherwise; stores can be refused', () => {
    const space = new AddressSpace();
    const ctx = space.alloc(16, { kind: 'ctx', name: 'md' });
    ctx.view().setUint32(4, 77, true);
    const seen: string[] = [];
    ctx.fields = {
      load: (off, size) => (off === 0 && size === 4 ? 0x1_2345_6789n : undefined),
      store: (off, size, value) => {
        seen.push(`${off}/${size}=${value}`);
        return off === 8;
      },
    };
    assert.equal(space.load(ctx.ptr, 4, 0), 0x1_2345_6789n);
    assert.equal(space.load(ctx.ptr + 4n, 4, 0), 77n);
    space.store(ctx.ptr + 8n, 4, 5n, 3);
    assert.throws(() => space.store(ctx.ptr + 12n, 4, 5n, 3), /invalid access to context field: write of 4 bytes at offset 12 .*insn 3/);
    assert.deepEqual(seen, ['8/4=5', '12/4=5']);
    ctx.fields = undefined;
    space.store(ctx.ptr + 12n, 4, 9n, 0);
    assert.equal(space.load(ctx.ptr + 12n, 4, 0), 9n);
  });
});

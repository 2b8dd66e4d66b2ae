import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteReader, ByteWriter, fromHex, toHex } from './bytes.ts';
import { ElfError } from './errors.ts';

const fail = (m: string, offset: number) => new ElfError(m, { offset });

test('reads are little endian and bounds checked with the typed error', () => {
  const r = new ByteReader(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 0]), fail);
  assert.equal(r.u16(0), 0x0201);
  assert.equal(r.u32(0), 0x04030201);
  assert.equal(r.u64(0), 0x0807060504030201n);
  assert.throws(() => r.u64(2), (e: unknown) => e instanceof ElfError && e.offset === 2);
  assert.throws(() => r.u8(-1), ElfError);
  assert.throws(() => r.cstring(0, 3), /not NUL-terminated/);
  assert.equal(r.cstring(8), '');
});

test('u64AsNumber refuses values above 2^53', () => {
  const w = new ByteWriter().u64(2n ** 60n).finish();
  assert.throws(() => new ByteReader(w, fail).u64AsNumber(0), ElfError);
});

test('writer grows and hex round-trips', () => {
  const w = new ByteWriter();
  for (let i = 0; i < 100; i++) w.u32(i);
  const b = w.finish();
  assert.equal(b.length, 400);
  assert.equal(new ByteReader(b, fail).u32(396), 99);
  assert.equal(toHex(fromHex('00 ff 1a')!), '00ff1a');
  assert.equal(fromHex('abc'), undefined);
});

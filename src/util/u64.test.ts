import { test } from 'node:test';
import assert from 'node:assert/strict';
import { s64, u64, sext32, zext32, toSafeNumber, lo32, hex64 } from './u64.ts';
import { InternalError } from './errors.ts';

test('u64 and s64 views wrap at 64 bits', () => {
  assert.equal(u64(-1n), 0xffff_ffff_ffff_ffffn);
  assert.equal(s64(0x8000_0000_0000_0000n), -(2n ** 63n));
  assert.equal(u64(2n ** 64n + 5n), 5n);
});

test('32-bit immediates sign-extend, subregisters zero-extend', () => {
  assert.equal(sext32(-1), 0xffff_ffff_ffff_ffffn);
  assert.equal(sext32(0x7fffffff), 0x7fffffffn);
  assert.equal(zext32(-1), 0xffff_ffffn);
  assert.equal(lo32(0x1_2345_6789n), 0x2345_6789);
});

test('toSafeNumber refuses values a JS number cannot hold', () => {
  assert.equal(toSafeNumber(2n ** 53n - 1n), 2 ** 53 - 1);
  assert.throws(() => toSafeNumber(2n ** 53n), InternalError);
  assert.equal(hex64(-1n), '0xffffffffffffffff');
});

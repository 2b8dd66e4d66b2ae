import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBtf } from './parse.ts';
import { formatValue } from './pretty.ts';
import { loadSections } from './test-helpers.ts';
import { isBpfError } from '../util/errors.ts';

/** The element written with `bpftool map update` when the format was checked against bpftool 7.1. */
function kindsValue(): Uint8Array {
  const b = new Uint8Array(128);
  const v = new DataView(b.buffer);
  b.set([0x68, 0x69], 0); // name = "hi"
  v.setInt8(8, -2); v.setInt16(10, -300, true); v.setUint16(12, 60000, true);
  v.setBigInt64(16, -5n, true); v.setBigUint64(24, 2n ** 64n - 1n, true); v.setInt32(32, 77, true);
  v.setBigUint64(40, 0xdeadbeefn, true);
  v.setUint32(56, 5, true); v.setInt32(60, -3, true); v.setBigUint64(64, 0x123456789an, true);
  v.setFloat32(72, 1.5, true);
  v.setBigUint64(80, 5n | (BigInt(-3 & 0x1f) << 3n) | (0x41n << 8n) | (0x123456789n << 16n) | (1n << 56n), true);
  v.setBigUint64(88, 0x1000n, true);
  v.setInt32(104, 1, true); v.setInt32(108, 2, true); v.setInt32(124, 6, true);
  return b;
}

test('struct kinds: the values bpftool map dump showed, in our compact format', () => {
  const btf = parseBtf(loadSections('btf_kinds.bpf.o').btf);
  const kinds = btf.typeByName('kinds', 'struct')!;
  // bpftool 7.1 printed (JSON-like): "name": "hi", "sc": -2, "s": -300, "us": 60000, "ll": -5,
  // "u": 18446744073709551615, "cv": 77, "rp": 0xdeadbeef, "tagged": (nil), "col": "GREEN",
  // "n": "NEG_A", "b64": "BIG_HI", "num": { "i": 1069547520, "f": (unsupported-kind ...
  assert.equal(formatValue(btf, kinds.id, kindsValue()),
    '{ .name = "hi", .sc = -2, .s = -300, .us = 60000, .ll = -5, .u = 18446744073709551615, .cv = 77, ' +
    '.rp = 0xdeadbeef, .tagged = (nil), .col = GREEN, .n = NEG_A, .b64 = BIG_HI, ' +
    '.num = { .i = 1069547520, .f = 1.5, .d = 5.28426686e-315 }, ' +
    '.bits = { .a = 5, .b = -3, .c = 65, .d = 4886718345, .flag = true }, .cb = 0x1000, .fwd = (nil), ' +
    '.matrix = [[1, 2, 0], [0, 0, 6]], .arr0 = [] }');
});

test('zero value: enums without a matching name print their number', () => {
  const btf = parseBtf(loadSections('btf_kinds.bpf.o').btf);
  const out = formatValue(btf, btf.typeByName('kinds', 'struct')!.id, new Uint8Array(128));
  assert.match(out, /\.col = RED, \.n = 0, \.b64 = 0,/);
  assert.match(out, /\.name = "", /);
});

test('short buffers are a typed error', () => {
  const btf = parseBtf(loadSections('btf_kinds.bpf.o').btf);
  assert.throws(() => formatValue(btf, btf.typeByName('kinds', 'struct')!.id, new Uint8Array(10)), (e) => isBpfError(e));
});

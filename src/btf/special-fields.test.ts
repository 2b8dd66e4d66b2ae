import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBtf } from './parse.ts';
import type { Btf } from './btf.ts';
import { EMPTY_RECORD, findSpecialFields, recordsEqual } from './special-fields.ts';
import { BtfBuilder, loadSections } from './test-helpers.ts';
import { E2BIG, EINVAL } from '../uapi/errno.ts';

/** The value type id of each map in `.maps`, by map name. */
function mapValues(btf: Btf): Map<string, number> {
  const out = new Map<string, number>();
  const sec = btf.typeByName('.maps', 'datasec');
  assert.ok(sec?.kind === 'datasec');
  for (const v of sec.vars) {
    const variable = btf.typeById(v.type);
    if (variable.kind !== 'var') continue;
    const ptr = btf.typeById(btf.findMember(variable.type, 'value')!.member.type);
    assert.ok(ptr.kind === 'ptr');
    out.set(variable.name, ptr.type);
  }
  return out;
}

const btf = parseBtf(loadSections('btf_special.bpf.o').btf);
const values = mapValues(btf);
const rec = (map: string) => findSpecialFields(btf, values.get(map)!);

test('a timer alone, with a spin lock, nested at 16, and next to a bpf_wq (spec 5.2)', () => {
  assert.deepEqual(rec('m_timer').fields, [{ kind: 'timer', offset: 0, size: 16 }]);
  assert.equal(rec('m_timer').timerOff, 0);
  const tl = rec('m_timer_lock');
  assert.deepEqual(tl.fields.map((f) => [f.kind, f.offset]), [['spin_lock', 8], ['timer', 16]]);
  assert.deepEqual([tl.spinLockOff, tl.timerOff], [8, 16]);
  assert.equal(rec('m_nested').timerOff, 16);
  const wq = rec('m_wq');
  assert.deepEqual([wq.wqOff, wq.timerOff, wq.spinLockOff], [8, 24, -1]);
});

test('two timers, an array of timers, two spin locks: no fields at all, not an error', () => {
  for (const [map, errno] of [['m_two', E2BIG], ['m_arr2', EINVAL], ['m_two_locks', E2BIG]] as const) {
    const r = rec(map);
    assert.deepEqual(r.fields, [], map);
    assert.equal(r.timerOff, -1);
    assert.equal(r.spinLockOff, -1);
    assert.equal(r.error?.errno, errno, map);
  }
});

test('misaligned (packed) timer and a bare struct bpf_timer value are silently ignored', () => {
  assert.deepEqual(rec('m_mis'), EMPTY_RECORD);
  assert.deepEqual(rec('bare'), EMPTY_RECORD);
  assert.deepEqual(rec('m_none'), EMPTY_RECORD);
});

test('kptrs via type tags', () => {
  const r = rec('m_kptr');
  const node = btf.typeByName('node_data', 'struct')!;
  assert.deepEqual(r.fields, [
    { kind: 'kptr', offset: 0, size: 8, kptrTypeId: node.id },
    { kind: 'kptr_untrusted', offset: 8, size: 8, kptrTypeId: node.id },
  ]);
});

test('recordsEqual: same layout equal, failed and empty records equal each other', () => {
  assert.ok(recordsEqual(rec('m_timer'), rec('m_timer')));
  assert.ok(!recordsEqual(rec('m_timer'), rec('m_nested')));
  assert.ok(recordsEqual(rec('m_two'), rec('m_none')));
  assert.ok(!recordsEqual(rec('m_timer'), rec('m_none')));
});

/** A bpf_timer struct (16 bytes, two u64) plus helpers, built by hand for kernel edge cases. */
function timerBtf(extra: (b: BtfBuilder) => void): Btf {
  const b = new BtfBuilder().int('long long unsigned int', 8) // [1]
    .type('', 3, 0, 0, [1, 1, 2]) // [2] u64[2]
    .struct('bpf_timer', 16, [['__opaque', 2, 0]]); // [3]
  extra(b);
  return parseBtf(b.build());
}

test('each nested struct has its own seen set: two timers in two nested structs are both kept', () => {
  const t = timerBtf((b) => b.struct('a', 16, [['t', 3, 0]]) /* [4] */.struct('v', 32, [['x', 4, 0], ['y', 4, 128]])); // [5]
  const r = findSpecialFields(t, 5);
  assert.deepEqual(r.fields.map((f) => f.offset), [0, 16]);
  assert.equal(r.timerOff, 16);
});

test('typedef or const on the member hides the timer; typedef on the value type does not', () => {
  const t = timerBtf((b) => b.type('tm_t', 8, 0, 3) /* [4] */.struct('v', 16, [['t', 4, 0]]) /* [5] */
    .type('', 10, 0, 3) /* [6] const */.struct('w', 16, [['t', 6, 0]]) /* [7] */
    .struct('z', 16, [['t', 3, 0]]) /* [8] */.type('z_t', 8, 0, 8)); // [9]
  assert.deepEqual(findSpecialFields(t, 5).fields, []);
  assert.deepEqual(findSpecialFields(t, 7).fields, []);
  assert.equal(findSpecialFields(t, 9).timerOff, 0);
});

test('a bpf_timer of the wrong size is ignored but still counts as seen', () => {
  const t = parseBtf(new BtfBuilder().int('u64', 8)
    .struct('bpf_timer', 8, [['x', 1, 0]]) // [2] wrong size
    .struct('v', 8, [['t', 2, 0]]) // [3]
    .build());
  assert.deepEqual(findSpecialFields(t, 3), EMPTY_RECORD);
});

test('a pointer with an unknown type tag fails the whole record', () => {
  const t = parseBtf(new BtfBuilder().int('int', 4).type('user', 18, 0, 1).type('', 2, 0, 2).struct('v', 8, [['p', 3, 0]]).build());
  assert.equal(findSpecialFields(t, 4).error?.errno, EINVAL);
});

test('DATASEC values are scanned, with the var size as the expected size', () => {
  const t = timerBtf((b) => b.type('g', 14, 0, 3, [1]) /* [4] var */.type('.bss', 15, 1, 32, [4, 16, 16])); // [5]
  assert.equal(findSpecialFields(t, 5).timerOff, 16);
  // A secinfo size that differs from sizeof(struct bpf_timer) makes the kernel skip the var.
  const wrongSize = timerBtf((b) => b.type('g', 14, 0, 3, [1]).type('.bss', 15, 1, 32, [4, 0, 32]));
  assert.deepEqual(findSpecialFields(wrongSize, 5), EMPTY_RECORD);
});

test('more than BTF_FIELDS_MAX kptrs is E2BIG', () => {
  const t = parseBtf(new BtfBuilder().struct('obj', 0, []) /* [1] */.type('kptr', 18, 0, 1) /* [2] */.type('', 2, 0, 2) /* [3] */
    .int('int', 4) /* [4] */.type('', 3, 0, 0, [3, 4, 12]) /* [5] ptr[12] */.struct('v', 96, [['p', 5, 0]]).build()); // [6]
  assert.equal(findSpecialFields(t, 6).error?.errno, E2BIG);
  const ok = parseBtf(new BtfBuilder().struct('obj', 0, []).type('kptr', 18, 0, 1).type('', 2, 0, 2)
    .int('int', 4).type('', 3, 0, 0, [3, 4, 11]).struct('v', 88, [['p', 5, 0]]).build());
  assert.deepEqual(findSpecialFields(ok, 6).fields.map((f) => f.offset), [0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80]);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBtf } from './parse.ts';
import { parseBtfExt, BPF_CORE_TYPE_ID_TARGET } from './ext.ts';
import { coreReloKindName, coreReloValue } from './core.ts';
import { PROGS, loadSections } from './test-helpers.ts';
import { isBpfError } from '../util/errors.ts';

function load(name: string) {
  const s = loadSections(`${name}.bpf.o`);
  const btf = parseBtf(s.btf);
  return { ...s, btf, ext: parseBtfExt(s.ext, btf) };
}

test('func_info names each program and subprogram', () => {
  const { btf, ext } = load('btf_kinds');
  const funcs = ext.funcInfo.flatMap((s) => s.records.map((r) => [s.section, r.insnIdx, btf.typeById(r.typeId).name]));
  assert.deepEqual(funcs.map((f) => f[2]).sort(), ['helper_fn', 'kinds_prog']);
  assert.ok(funcs.some((f) => f[0] === 'xdp' && f[1] === 0 && f[2] === 'kinds_prog'));
  assert.equal(ext.funcInfoRecSize, 8);
  assert.equal(ext.lineInfoRecSize, 16);
});

test('line_info: text, line and column agree with the source file', () => {
  const { ext } = load('btf_core');
  const source = readFileSync(join(PROGS, 'btf_core.bpf.c'), 'utf8').split('\n');
  const recs = ext.lineInfo.flatMap((s) => s.records);
  assert.ok(recs.length >= 10);
  for (const r of recs) {
    assert.ok(r.fileName.endsWith('btf_core.bpf.c'));
    assert.equal(r.line, source[r.lineNum - 1], `line ${r.lineNum}`);
  }
  // `\tout[0] = bpf_core_field_offset(...)` is attributed to the `=` in column 9 at insn 1,
  // and the function's first insn to its declaration line (column 0), as bpftool prints them.
  const out0 = recs.find((r) => r.line.includes('out[0]'))!;
  assert.deepEqual([out0.insnIdx, out0.lineCol], [1, 9]);
  assert.equal(recs[0]!.line, 'int core_prog(struct xdp_md *ctx)');
  assert.equal(recs[0]!.lineCol, 0);
});

test('CO-RE against the local BTF reproduces the values clang compiled in', () => {
  const { btf, ext, section } = load('btf_core');
  const code = section('xdp');
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const relos = ext.coreRelos.flatMap((s) => s.records);
  assert.deepEqual(relos.map((r) => coreReloKindName(r.kind)), ['byte_off', 'byte_sz', 'field_exists', 'type_size', 'local_type_id',
    'enumval_value', 'enumval_exists', 'type_exists', 'signed', 'lshift_u64', 'rshift_u64', 'byte_off']);
  for (const r of relos) {
    const imm = BigInt(view.getInt32(r.insnIdx * 8 + 4, true));
    assert.equal(coreReloValue(btf, r), imm, `${coreReloKindName(r.kind)} ${r.accessStr}`);
  }
  assert.deepEqual(relos.map((r) => coreReloValue(btf, r)), [24n, 1n, 1n, 40n, 8n, 40n, 1n, 1n, 1n, 59n, 59n, 20n]);
});

test('CO-RE kinds that need kernel BTF, and bad access strings, are typed errors', () => {
  const { btf } = load('btf_core');
  const s = btf.typeByName('core_s', 'struct')!;
  const base = { insnOff: 0, insnIdx: 0, typeId: s.id };
  assert.throws(() => coreReloValue(btf, { ...base, accessStr: '0', kind: BPF_CORE_TYPE_ID_TARGET }), /needs the kernel's BTF/);
  assert.throws(() => coreReloValue(btf, { ...base, accessStr: '0:9', kind: 0 }), (e) => isBpfError(e) && /member index 9 out of range/.test((e as Error).message));
  assert.throws(() => coreReloValue(btf, { ...base, accessStr: '0:x', kind: 0 }), /malformed access string/);
});

test('.BTF.ext corruption gives BtfError, never another exception', () => {
  const { btf, ext: raw } = loadSections('btf_core.bpf.o');
  const parsed = parseBtf(btf);
  for (let n = 0; n < raw.length; n++) assert.throws(() => parseBtfExt(raw.slice(0, n), parsed), (e) => isBpfError(e));
  let seed = 7;
  const rand = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 4294967296; };
  for (let i = 0; i < 2000; i++) {
    const b = raw.slice();
    b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    try { parseBtfExt(b, parsed); } catch (e) { assert.ok(isBpfError(e), String(e)); }
  }
});

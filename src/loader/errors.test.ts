/**
 * Objects that cannot be loaded, made by editing bytes of the committed objects: each must give a
 * typed error naming the program, instruction and symbol (or the map or section), never an
 * untyped exception.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseElf } from '../elf/index.ts';
import { EINVAL, EOPNOTSUPP } from '../uapi/errno.ts';
import { isBpfError } from '../util/errors.ts';
import { checkLoadable, loadCollectionSpec, LoaderError } from './index.ts';
import { object } from './test-helpers.ts';

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Byte offset of relocation `i` of the REL section that applies to `target`. */
function relAt(bytes: Uint8Array, target: string, i: number): number {
  const elf = parseElf(bytes);
  const t = elf.sectionByName(target)!;
  const rel = elf.sections.find((s) => s.type === 9 && s.info === t.index)!;
  return rel.offset + i * 16;
}

function symIndex(bytes: Uint8Array, name: string): number {
  return parseElf(bytes).symbols.find((s) => s.name === name)!.index;
}

/** Replaces the first occurrence of an ASCII string (same length) inside section `section`. */
function renameIn(bytes: Uint8Array, section: string, from: string, to: string): void {
  assert.equal(from.length, to.length);
  const s = parseElf(bytes).sectionByName(section)!;
  const hay = Buffer.from(bytes.subarray(s.offset, s.offset + s.size));
  const at = hay.indexOf(Buffer.from(`\0${from}\0`));
  assert.notEqual(at, -1, `${from} in ${section}`);
  bytes.set(Buffer.from(to), s.offset + at + 1);
}

function expectLoaderError(f: () => unknown, fields: Partial<Record<'prog' | 'insnIdx' | 'symbol' | 'map' | 'section' | 'errno', unknown>>, message: RegExp): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof LoaderError, `expected LoaderError, got ${String(e)}`);
    assert.ok(isBpfError(e));
    for (const [k, v] of Object.entries(fields)) assert.equal((e as unknown as Record<string, unknown>)[k], v, `${k} of: ${e.message}`);
    assert.match(e.message, message);
    return;
  }
  assert.fail('no error');
}

test('an unsupported relocation type names the program, instruction and symbol', () => {
  const b = object('loader_progs.bpf.o');
  view(b).setUint32(relAt(b, 'xdp', 0) + 8, 3, true); // R_BPF_64_32 → R_BPF_64_ABS32
  expectLoaderError(() => loadCollectionSpec(b), { prog: 'xdp_pass', insnIdx: 2, symbol: 'square_plus', errno: EINVAL }, /unsupported relocation type 3/);
});

test('a relocation against the null symbol or a non-data section is refused', () => {
  const b = object('loader_progs.bpf.o');
  view(b).setUint32(relAt(b, 'tc', 0) + 12, 0, true);
  expectLoaderError(() => loadCollectionSpec(b), { prog: 'tc_count', insnIdx: 6 }, /null symbol/);
  const c = object('loader_progs.bpf.o');
  view(c).setUint32(relAt(c, 'tc', 0) + 12, symIndex(c, 'LICENSE'), true);
  expectLoaderError(() => loadCollectionSpec(c), { prog: 'tc_count', insnIdx: 6, symbol: 'LICENSE' }, /bad data relo against section 'license'/);
});

test('a relocation against a symbol index past the symbol table is a typed ELF error', () => {
  const b = object('loader_progs.bpf.o');
  view(b).setUint32(relAt(b, 'tc', 0) + 12, 100000, true);
  assert.throws(() => loadCollectionSpec(b), (e: unknown) => isBpfError(e, EINVAL));
});

test('a call to nowhere, or into the middle of a function, names the program and instruction', () => {
  const text = (b: Uint8Array) => parseElf(b).sectionByName('.text')!.offset;
  const b = object('loader_progs.bpf.o');
  view(b).setInt32(text(b) + 2 * 8 + 4, 0x400, true); // square_plus (linked at 9): call +2 → +0x400
  expectLoaderError(() => loadCollectionSpec(b), { prog: 'xdp_pass', insnIdx: 11 }, /no function of '.text'/);
  const c = object('loader_progs.bpf.o');
  view(c).setInt32(text(c) + 2 * 8 + 4, 3, true); // lands on insn 1 of square
  expectLoaderError(() => loadCollectionSpec(c), { prog: 'xdp_pass', symbol: 'square' }, /inside 'square', not its start/);
});

test('a static function outside .text is refused like libbpf (EOPNOTSUPP)', () => {
  const b = object('loader_progs.bpf.o');
  const elf = parseElf(b);
  const at = elf.symtab!.offset + symIndex(b, 'sock_filter') * 24 + 4;
  b[at] = (b[at]! & 0x0f) | 0x00; // STB_GLOBAL → STB_LOCAL
  expectLoaderError(() => loadCollectionSpec(b), { prog: 'sock_filter', section: 'socket', errno: EOPNOTSUPP }, /is static and not supported/);
});

test('an unknown section name opens (as in libbpf) but is refused before load', () => {
  const b = object('loader_progs.bpf.o');
  renameIn(b, '.strtab', 'socket', 'sockex');
  const spec = loadCollectionSpec(b);
  assert.equal(spec.programs.get('sock_filter')!.type, 0);
  expectLoaderError(() => checkLoadable(spec), { prog: 'sock_filter', section: 'sockex' }, /missing BPF prog type, check ELF section name 'sockex'/);
  checkLoadable(spec, new Set(['sock_filter']));
});

test('an unsupported map type is refused before load, naming the map', () => {
  const b = object('loader_legacy.bpf.o');
  const elf = parseElf(b);
  const sym = elf.symbols.find((s) => s.name === 'legacy_hash')!;
  view(b).setUint32(elf.sectionByName('maps')!.offset + sym.value, 99, true);
  const spec = loadCollectionSpec(b);
  expectLoaderError(() => checkLoadable(spec), { map: 'legacy_hash' }, /unsupported map type 99/);
  checkLoadable(loadCollectionSpec(object('loader_legacy.bpf.o')));
});

test('malformed .maps definitions give libbpf errors naming the map', () => {
  const b = object('loader_progs.bpf.o');
  renameIn(b, '.BTF', 'max_entries', 'max_entriez');
  expectLoaderError(() => loadCollectionSpec(b), { map: 'counts', errno: EOPNOTSUPP }, /unknown field 'max_entriez'/);
  const c = object('loader_progs.bpf.o');
  renameIn(c, '.BTF', 'type', 'typf');
  expectLoaderError(() => loadCollectionSpec(c), { map: 'counts' }, /unknown field 'typf'/);
  const d = object('loader_legacy.bpf.o');
  const elf = parseElf(d);
  const sym = elf.symbols.find((s) => s.name === 'legacy_array')!;
  view(d).setBigUint64(elf.symtab!.offset + sym.index * 24 + 16, 8n, true); // st_size 20 → 8
  expectLoaderError(() => loadCollectionSpec(d), { map: 'legacy_array' }, /does not fit struct bpf_map_def/);
});

test('truncated and corrupted copies never escape as untyped exceptions', () => {
  const good = object('loader_maps.bpf.o');
  for (let cut = 0; cut < good.length; cut += 97) {
    try { loadCollectionSpec(good.slice(0, cut)); } catch (e) { assert.ok(isBpfError(e), `cut at ${cut}: ${String(e)}`); }
  }
  const elf = parseElf(good);
  for (const s of elf.sections) {
    if (s.size === 0 || s.type === 8) continue;
    for (const flip of [0, Math.floor(s.size / 2), s.size - 1]) {
      const b = good.slice();
      b[s.offset + flip] = (b[s.offset + flip] ?? 0) ^ 0xff;
      try { loadCollectionSpec(b); } catch (e) { assert.ok(isBpfError(e), `${s.name}+${flip}: ${String(e)}`); }
    }
  }
});

// Features and errors that clang's BPF output never shows (RELA, SHN_XINDEX, extended section
// numbering, ELF32, big-endian), checked on small objects built here byte by byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteWriter } from '../util/bytes.ts';
import { ElfError } from '../util/errors.ts';
import {
  parseElf, R_BPF_64_64, SHN_ABS, SHN_XINDEX, SHT_PROGBITS, SHT_REL, SHT_RELA, SHT_STRTAB, SHT_SYMTAB, SHT_SYMTAB_SHNDX,
  STB_GLOBAL, STT_OBJECT,
} from './index.ts';

interface SecSpec {
  name: string; type: number; data?: Uint8Array; flags?: bigint; link?: number; info?: number; entsize?: number;
  /** Overrides the header's sh_size (e.g. to describe NOBITS or a bad size). */
  size?: bigint; offset?: bigint;
}
interface BuildOptions {
  /** Write e_shnum as 0 and put the count in section 0's sh_size. */
  extendedShnum?: boolean;
  /** Write e_shstrndx as SHN_XINDEX and put the index in section 0's sh_link. */
  extendedShstrndx?: boolean;
}

/** Lays out: ELF header, section bytes, .shstrtab (last), section headers. Section 0 is added here. */
function build(specs: readonly SecSpec[], opts: BuildOptions = {}): Uint8Array {
  const names = new ByteWriter().u8(0);
  const nameOff: number[] = [];
  const all: SecSpec[] = [...specs, { name: '.shstrtab', type: SHT_STRTAB }];
  for (const s of all) { nameOff.push(names.length); names.bytes(new TextEncoder().encode(s.name)).u8(0); }
  const shstrtab = names.finish();
  const datas = all.map((s, i) => (i === all.length - 1 ? shstrtab : s.data ?? new Uint8Array(0)));
  const offsets: number[] = [];
  let at = 64;
  for (const d of datas) { at = (at + 7) & ~7; offsets.push(at); at += d.length; }
  const shoff = (at + 7) & ~7;
  const shnum = all.length + 1;
  const shstrndx = all.length;

  const w = new ByteWriter();
  w.bytes(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  w.u16(1).u16(247).u32(1).u64(0n).u64(0n).u64(BigInt(shoff)).u32(0);
  w.u16(64).u16(0).u16(0).u16(64).u16(opts.extendedShnum ? 0 : shnum).u16(opts.extendedShstrndx ? SHN_XINDEX : shstrndx);
  datas.forEach((d, i) => { while (w.length < (offsets[i] ?? 0)) w.u8(0); w.bytes(d); });
  while (w.length < shoff) w.u8(0);
  // Section 0.
  w.u32(0).u32(0).u64(0n).u64(0n).u64(0n).u64(opts.extendedShnum ? BigInt(shnum) : 0n)
    .u32(opts.extendedShstrndx ? shstrndx : 0).u32(0).u64(0n).u64(0n);
  all.forEach((s, i) => {
    const d = datas[i] ?? new Uint8Array(0);
    w.u32(nameOff[i] ?? 0).u32(s.type).u64(s.flags ?? 0n).u64(0n).u64(s.offset ?? BigInt(offsets[i] ?? 0)).u64(s.size ?? BigInt(d.length))
      .u32(s.link ?? 0).u32(s.info ?? 0).u64(8n).u64(BigInt(s.entsize ?? 0));
  });
  return w.finish();
}

function strtab(...names: string[]): Uint8Array {
  const w = new ByteWriter().u8(0);
  for (const n of names) w.bytes(new TextEncoder().encode(n)).u8(0);
  return w.finish();
}

function sym(w: ByteWriter, name: number, info: number, shndx: number, value = 0n, size = 0n): ByteWriter {
  return w.u32(name).u8(info).u8(0).u16(shndx).u64(value).u64(size);
}

function throwsElf(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ElfError && e.errno === 22 && pattern.test(e.message));
}

// Section indices in the objects below: 1 .data, 2 .strtab, 3 .symtab, 4 relocations / shndx.
function withSymbols(symtabData: Uint8Array, extra: SecSpec[] = [], symtabInfo = 1): Uint8Array {
  return build([
    { name: '.data', type: SHT_PROGBITS, data: new Uint8Array(16), flags: 3n },
    { name: '.strtab', type: SHT_STRTAB, data: strtab('counter') },
    { name: '.symtab', type: SHT_SYMTAB, data: symtabData, link: 2, info: symtabInfo, entsize: 24 },
    ...extra,
  ]);
}
const twoSymbols = (shndx = 1): Uint8Array => sym(sym(new ByteWriter(), 0, 0, 0), 1, (STB_GLOBAL << 4) | STT_OBJECT, shndx, 8n, 8n).finish();

describe('parseElf on synthetic objects', () => {
  it('reads RELA entries with a signed addend', () => {
    const rela = new ByteWriter().u64(8n).u32(R_BPF_64_64).u32(1).u64(BigInt.asUintN(64, -8n)).finish();
    const elf = parseElf(withSymbols(twoSymbols(), [{ name: '.rela.data', type: SHT_RELA, data: rela, link: 3, info: 1, entsize: 24 }]));
    const data = elf.sectionByName('.data');
    assert.ok(data);
    const [r] = elf.relocations(data);
    assert.deepEqual([r?.offset, r?.type, r?.symbolIndex, r?.addend, r?.symbol.name], [8, R_BPF_64_64, 1, -8n, 'counter']);
  });

  it('resolves SHN_XINDEX through SHT_SYMTAB_SHNDX', () => {
    const shndx = new ByteWriter().u32(0).u32(1).finish();
    const elf = parseElf(withSymbols(twoSymbols(SHN_XINDEX), [{ name: '.symtab_shndx', type: SHT_SYMTAB_SHNDX, data: shndx, link: 3, entsize: 4 }]));
    assert.deepEqual([elf.symbols[1]?.shndx, elf.symbols[1]?.section?.name], [1, '.data']);
  });

  it('rejects SHN_XINDEX without an SHT_SYMTAB_SHNDX section', () => {
    throwsElf(() => parseElf(withSymbols(twoSymbols(SHN_XINDEX))), /SHN_XINDEX but there is no SHT_SYMTAB_SHNDX/);
  });

  it('keeps reserved indices such as SHN_ABS without a section', () => {
    const elf = parseElf(withSymbols(twoSymbols(SHN_ABS)));
    assert.deepEqual([elf.symbols[1]?.shndx, elf.symbols[1]?.section], [SHN_ABS, undefined]);
  });

  it('resolves extended e_shnum and e_shstrndx through section 0', () => {
    const specs = [{ name: '.data', type: SHT_PROGBITS, data: new Uint8Array(4) }];
    const plain = parseElf(build(specs));
    const ext = parseElf(build(specs, { extendedShnum: true, extendedShstrndx: true }));
    assert.deepEqual([ext.header.shnum, ext.header.shstrndx], [plain.header.shnum, plain.header.shstrndx]);
    assert.deepEqual(ext.sections.map((s) => s.name), ['', '.data', '.shstrtab']);
  });

  it('accepts a file with no sections', () => {
    const bytes = build([]).slice(0, 64);
    bytes.fill(0, 40, 48); // e_shoff
    bytes.fill(0, 58, 64); // e_shentsize, e_shnum, e_shstrndx
    const elf = parseElf(bytes);
    assert.deepEqual([elf.sections.length, elf.symbols.length, elf.symtab], [0, 0, undefined]);
  });

  it('rejects ELF32, big-endian and bad magic with clear messages', () => {
    const good = build([]);
    const e32 = good.slice(); e32[4] = 1;
    throwsElf(() => parseElf(e32), /ELF32 objects are not supported/);
    const be = good.slice(); be[5] = 2;
    throwsElf(() => parseElf(be), /^big-endian ELF objects are not supported$/);
    const bad = good.slice(); bad[1] = 0x46;
    throwsElf(() => parseElf(bad), /bad magic/);
    throwsElf(() => parseElf(new Uint8Array(0)), /bad magic/);
  });

  it('rejects a string table without a final NUL', () => {
    const noNul = new TextEncoder().encode('\0counter');
    const bytes = build([
      { name: '.strtab', type: SHT_STRTAB, data: noNul },
      { name: '.symtab', type: SHT_SYMTAB, data: twoSymbols(0), link: 1, info: 1, entsize: 24 },
    ]);
    throwsElf(() => parseElf(bytes), /section 1 '.strtab': st_name of symbol 1: string at offset 1 is not NUL-terminated/);
  });

  it('rejects a symbol name offset outside the string table', () => {
    const syms = sym(sym(new ByteWriter(), 0, 0, 0), 500, 0, 1).finish();
    throwsElf(() => parseElf(withSymbols(syms)), /name offset 500 is outside the 9-byte string table/);
  });

  it('rejects a symbol in a section that does not exist', () => {
    throwsElf(() => parseElf(withSymbols(twoSymbols(77))), /symbol 1 'counter' refers to section 77, which does not exist/);
  });

  it('rejects relocations naming a symbol past the table, or outside their target', () => {
    const pastTable = new ByteWriter().u64(0n).u32(R_BPF_64_64).u32(9).finish();
    throwsElf(() => parseElf(withSymbols(twoSymbols(), [{ name: '.rel.data', type: SHT_REL, data: pastTable, link: 3, info: 1, entsize: 16 }])),
      /section 4 '.rel.data': relocation 0 refers to symbol 9, past the 2-entry symbol table/);
    const outside = new ByteWriter().u64(16n).u32(R_BPF_64_64).u32(1).finish();
    throwsElf(() => parseElf(withSymbols(twoSymbols(), [{ name: '.rel.data', type: SHT_REL, data: outside, link: 3, info: 1, entsize: 16 }])),
      /r_offset 16 is outside section 1 '.data' \(16 bytes\)/);
  });

  it('rejects bad entsize and sh_link / sh_info that are not section indices', () => {
    const rel = new ByteWriter().u64(0n).u32(R_BPF_64_64).u32(1).finish();
    throwsElf(() => parseElf(withSymbols(twoSymbols(), [{ name: '.rel.data', type: SHT_REL, data: rel, link: 3, info: 1, entsize: 24 }])),
      /sh_entsize 24 is not the Elf64_Rel size 16/);
    throwsElf(() => parseElf(withSymbols(twoSymbols(), [{ name: '.rel.data', type: SHT_REL, data: rel, link: 3, info: 99, entsize: 16 }])),
      /section 4 '.rel.data': sh_info 99 is not a section index/);
    throwsElf(() => parseElf(withSymbols(twoSymbols(), [{ name: '.rel.data', type: SHT_REL, data: rel, link: 99, info: 1, entsize: 16 }])),
      /sh_link 99 is not a section index/);
    throwsElf(() => parseElf(withSymbols(twoSymbols(), [{ name: '.rel.data', type: SHT_REL, data: rel, link: 1, info: 1, entsize: 16 }])),
      /sh_link 1 is not the symbol table \(section 3\)/);
    throwsElf(() => parseElf(withSymbols(twoSymbols(), [], 3)), /sh_info 3 \(first global symbol\) is past the 2 symbols/);
  });

  it('rejects a second symbol table', () => {
    throwsElf(() => parseElf(withSymbols(twoSymbols(), [{ name: '.symtab2', type: SHT_SYMTAB, data: twoSymbols(), link: 2, entsize: 24 }])),
      /a second SHT_SYMTAB section \(the first is section 3\)/);
  });

  it('rejects u64 fields above Number.MAX_SAFE_INTEGER instead of rounding them', () => {
    const bytes = build([{ name: '.data', type: SHT_PROGBITS, data: new Uint8Array(4), size: 1n << 60n }]);
    throwsElf(() => parseElf(bytes), /section header 1: sh_size at offset \d+ is too large \(1152921504606846976\)/);
    const huge = withSymbols(sym(sym(new ByteWriter(), 0, 0, 0), 1, 0, 1, 1n << 63n).finish());
    throwsElf(() => parseElf(huge), /st_value of symbol 1 at offset \d+ is too large/);
  });

  it('rejects section data outside the file, naming the section', () => {
    const bytes = build([{ name: '.data', type: SHT_PROGBITS, data: new Uint8Array(4), offset: 1_000_000n }]);
    assert.throws(() => parseElf(bytes), (e: unknown) =>
      e instanceof ElfError && e.section === '.data' && e.offset === 1_000_000 && /section 1 '.data': data \(4 bytes at offset 1000000\) is outside/.test(e.message));
  });

  it('decodes each shared name once: many symbols naming one long string stay fast', () => {
    const long = 'x'.repeat(50_000);
    const w = sym(new ByteWriter(), 0, 0, 0);
    for (let i = 1; i < 5000; i++) sym(w, 1 + (i % 64), 0, 1);
    const bytes = build([
      { name: '.data', type: SHT_PROGBITS, data: new Uint8Array(4) },
      { name: '.strtab', type: SHT_STRTAB, data: strtab(long) },
      { name: '.symtab', type: SHT_SYMTAB, data: w.finish(), link: 2, info: 1, entsize: 24 },
    ]);
    const elf = parseElf(bytes);
    assert.equal(elf.symbols.length, 5000);
    assert.equal(elf.symbols[3]?.name.length, long.length - 3);
  });
});

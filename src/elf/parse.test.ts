// Parses the committed fixtures and compares every section, symbol and relocation with what
// llvm-readobj-19 (the tool behind llvm-readelf-19) says about the same files. The expected data
// is llvm's own output, recorded next to the objects with:
//   llvm-readobj-19 --elf-output-style=JSON -h -S -s -r testdata/progs/elf_X.bpf.o
// (file name reduced to its base name), so nothing here is computed by the code under test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  EM_BPF, ET_REL, parseElf, R_BPF_64_32, R_BPF_64_64, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHN_ABS, SHT_NOBITS,
  SHT_PROGBITS, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FILE, STT_FUNC, STT_OBJECT, STT_SECTION,
} from './index.ts';
import type { ElfFile } from './index.ts';

const PROGS = new URL('../../testdata/progs/', import.meta.url);
const load = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, PROGS)));

interface Named { readonly Name: string; readonly Value: number }
interface ReadobjSection {
  readonly Index: number; readonly Name: Named; readonly Type: Named; readonly Flags: { readonly Value: number };
  readonly Address: number; readonly Offset: number; readonly Size: number; readonly Link: number; readonly Info: number;
  readonly AddressAlignment: number; readonly EntrySize: number;
}
interface ReadobjSymbol {
  readonly Name: Named; readonly Value: number; readonly Size: number; readonly Binding: Named; readonly Type: Named;
  readonly Other: { readonly Value: number }; readonly Section: Named;
}
interface ReadobjReloc { readonly Offset: number; readonly Type: Named; readonly Symbol: Named }
interface Readobj {
  readonly ElfHeader: {
    readonly Machine: Named; readonly Type: string; readonly Version: number; readonly SectionHeaderOffset: number;
    readonly SectionHeaderCount: string; readonly StringTableSectionIndex: string; readonly Flags: { readonly Value: number };
  };
  readonly Sections: readonly { readonly Section: ReadobjSection }[];
  readonly Symbols: readonly { readonly Symbol: ReadobjSymbol }[];
  readonly Relocations: readonly { readonly SectionIndex: number; readonly Relocs: readonly { readonly Relocation: ReadobjReloc }[] }[];
}

function readobj(name: string): Readobj {
  const all = JSON.parse(readFileSync(new URL(name, PROGS), 'utf8')) as readonly Readobj[];
  const first = all[0];
  assert.ok(first !== undefined);
  return first;
}

function compareWithReadobj(elf: ElfFile, ro: Readobj): void {
  const h = ro.ElfHeader;
  assert.equal(elf.header.machine, h.Machine.Value);
  assert.equal(h.Type, `Relocatable (0x${elf.header.type.toString(16)})`);
  assert.equal(elf.header.version, h.Version);
  assert.equal(elf.header.shoff, h.SectionHeaderOffset);
  assert.equal(elf.header.shnum, Number(h.SectionHeaderCount));
  assert.equal(elf.header.shstrndx, Number(h.StringTableSectionIndex));
  assert.equal(elf.header.flags, h.Flags.Value);

  assert.equal(elf.sections.length, ro.Sections.length);
  for (const { Section: want } of ro.Sections) {
    const got = elf.sections[want.Index];
    assert.ok(got !== undefined, `section ${want.Index}`);
    const where = `section ${want.Index} ${want.Name.Name}`;
    assert.deepEqual(
      [got.index, got.name, got.type, got.flags, got.addr, got.offset, got.size, got.link, got.info, got.addralign, got.entsize],
      [want.Index, want.Name.Name, want.Type.Value, BigInt(want.Flags.Value), BigInt(want.Address), want.Offset, want.Size,
        want.Link, want.Info, want.AddressAlignment, want.EntrySize],
      where,
    );
    assert.equal(got.data.length, want.Type.Value === SHT_NOBITS || want.Index === 0 ? 0 : want.Size, where);
    assert.equal(elf.sectionByName(want.Name.Name)?.index, want.Index, where);
  }

  assert.equal(elf.symbols.length, ro.Symbols.length);
  ro.Symbols.forEach(({ Symbol: want }, i) => {
    const got = elf.symbols[i];
    assert.ok(got !== undefined);
    // llvm shows a section symbol (st_name 0) under its section's name; the raw st_name is empty.
    const name = want.Type.Value === STT_SECTION && want.Name.Value === 0 ? '' : want.Name.Name;
    assert.deepEqual(
      [got.index, got.name, got.value, got.size, got.bind, got.type, got.visibility, got.shndx],
      [i, name, want.Value, want.Size, want.Binding.Value, want.Type.Value, want.Other.Value & 3, want.Section.Value],
      `symbol ${i} ${want.Name.Name}`,
    );
    if (want.Section.Value > 0 && want.Section.Value < 0xff00) assert.equal(got.section?.name, want.Section.Name);
    else assert.equal(got.section, undefined);
  });

  let relocSections = 0;
  for (const sec of elf.sections) {
    const group = ro.Relocations.filter((g) => elf.sections[g.SectionIndex]?.info === sec.index);
    const want = group.flatMap((g) => g.Relocs.map((r) => r.Relocation));
    const got = elf.relocations(sec);
    relocSections += group.length;
    assert.equal(got.length, want.length, `relocations of ${sec.name}`);
    got.forEach((r, i) => {
      const w = want[i];
      assert.ok(w !== undefined);
      assert.deepEqual([r.offset, r.type, r.symbolIndex, r.symbol.index, r.addend], [w.Offset, w.Type.Value, w.Symbol.Value, w.Symbol.Value, undefined]);
    });
  }
  assert.equal(relocSections, ro.Relocations.length);
}

describe('parseElf on clang-compiled fixtures', () => {
  for (const name of ['elf_sections', 'elf_subprogs']) {
    it(`${name}.bpf.o matches llvm-readobj`, () => {
      compareWithReadobj(parseElf(load(`${name}.bpf.o`)), readobj(`${name}.llvm-readobj.json`));
    });
  }

  // Spot checks written out by hand from `llvm-readelf-19 -S -s -r`, as a second, readable record.
  it('elf_sections.bpf.o: programs, legacy maps, .bss, relocations of xdp', () => {
    const elf = parseElf(load('elf_sections.bpf.o'));
    assert.equal(elf.header.machine, EM_BPF);
    assert.equal(elf.header.type, ET_REL);
    assert.equal(elf.sections.length, 37);
    const xdp = elf.sectionByName('xdp');
    assert.ok(xdp);
    assert.deepEqual([xdp.index, xdp.type, xdp.flags, xdp.offset, xdp.size], [4, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0x88, 0xb0]);
    assert.equal(xdp.data.length, 0xb0);
    const maps = elf.sectionByName('maps');
    assert.deepEqual([maps?.index, maps?.size, maps?.flags], [10, 0x14, SHF_WRITE | SHF_ALLOC]);
    const bss = elf.sectionByName('.bss');
    assert.deepEqual([bss?.type, bss?.size, bss?.data.length], [SHT_NOBITS, 8, 0]);
    assert.deepEqual(
      elf.relocations(xdp).map((r) => [r.offset, r.type, r.symbol.name]),
      [[0x20, R_BPF_64_64, 'btf_hash'], [0x38, R_BPF_64_64, 'bss_counter'], [0x60, R_BPF_64_32, ''], [0x78, R_BPF_64_64, 'rodata_limit']],
    );
    const callTarget = elf.relocations(xdp)[2]?.symbol;
    assert.deepEqual([callTarget?.index, callTarget?.type, callTarget?.section?.name], [2, STT_SECTION, '.text']);
    assert.equal(elf.relocations(xdp)[0]?.section.name, '.relxdp');
    const mix = elf.symbols[4];
    assert.deepEqual([mix?.name, mix?.size, mix?.bind, mix?.type, mix?.section?.name], ['mix', 72, STB_LOCAL, STT_FUNC, '.text']);
    const file = elf.symbols[1];
    assert.deepEqual([file?.name, file?.type, file?.shndx, file?.section], ['elf_sections.bpf.c', STT_FILE, SHN_ABS, undefined]);
    assert.equal(elf.symtab?.name, '.symtab');
    assert.equal(elf.relocations(elf.sections[0]!).length, 0);
  });

  it('elf_subprogs.bpf.o: global subprogram, weak symbol, long section names', () => {
    const elf = parseElf(load('elf_subprogs.bpf.o'));
    const tp = elf.sectionByName('tracepoint/syscalls/sys_enter_write');
    assert.equal(tp?.index, 6);
    assert.equal(elf.sectionByName('.reltracepoint/syscalls/sys_enter_write')?.info, 6);
    const byName = new Map(elf.symbols.map((s) => [s.name, s]));
    assert.deepEqual([byName.get('add_one')?.bind, byName.get('add_one')?.value, byName.get('add_one')?.size], [STB_GLOBAL, 0, 24]);
    assert.deepEqual([byName.get('loop_cb')?.value, byName.get('loop_cb')?.size], [0x18, 80]);
    assert.deepEqual([byName.get('tunable')?.bind, byName.get('tunable')?.type, byName.get('tunable')?.section?.name], [STB_WEAK, STT_OBJECT, '.data']);
    assert.equal(byName.get('loops_done')?.section?.name, '.bss');
    const text = elf.sectionByName('.text');
    assert.ok(text);
    assert.deepEqual(elf.relocations(text).map((r) => [r.offset, r.type, r.symbol.name]), [[0x18, R_BPF_64_32, 'add_one'], [0x30, R_BPF_64_64, 'loops_done']]);
  });

  it('relocations() of a section from another file is empty', () => {
    const a = parseElf(load('elf_sections.bpf.o'));
    const b = parseElf(load('elf_sections.bpf.o'));
    const xdp = b.sectionByName('xdp');
    assert.ok(xdp);
    assert.equal(a.relocations(xdp).length, 0);
    assert.equal(b.relocations(xdp).length, 4);
  });

  it('section data are views of the input bytes', () => {
    const bytes = load('elf_sections.bpf.o');
    const lic = parseElf(bytes).sectionByName('license');
    assert.ok(lic);
    assert.equal(lic.data.buffer, bytes.buffer);
    assert.deepEqual([...lic.data], [0x47, 0x50, 0x4c, 0x00]); // "GPL\0"
  });
});

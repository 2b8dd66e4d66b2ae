// Corruption suite: systematic damage to each real fixture (truncation, ELF header fields,
// section header fields, symbol and relocation entries) and a seeded random-mutation fuzz loop.
// The rule everywhere: parseElf either returns a usable ElfFile or throws ElfError, never another
// exception, hang or unbounded allocation. Where a corruption is certainly invalid the case also
// asserts that it is rejected. Each case does bounded work on a file of a few KiB and the case
// count is fixed, so the suite's run time is bounded by construction; the node:test timeout is
// only a backstop that turns a hang into a failure.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ElfError } from '../util/errors.ts';
import { ELF64_REL_SIZE, ELF64_SHDR_SIZE, ELF64_SYM_SIZE, parseElf, SHN_ABS, SHT_NOBITS, SHT_NULL, SHT_REL } from './index.ts';
import type { ElfFile } from './index.ts';

const FIXTURES = ['elf_sections.bpf.o', 'elf_subprogs.bpf.o'];
const load = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../testdata/progs/${name}`, import.meta.url)));
const SUITE = { timeout: 120_000 };

/** Touches everything a parsed file exposes, so nothing lazy can throw later. */
function exercise(elf: ElfFile): void {
  for (const s of elf.sections) {
    elf.sectionByName(s.name);
    for (const r of elf.relocations(s)) assert.ok(r.symbol.index === r.symbolIndex);
  }
  for (const sym of elf.symbols) assert.ok(sym.section === undefined || elf.sections[sym.section.index] === sym.section);
}

/** Parses, or checks that the failure is an ElfError. Returns 'ok' or 'rejected'. */
function parseOrElfError(bytes: Uint8Array, what: string): 'ok' | 'rejected' {
  let elf: ElfFile;
  try {
    elf = parseElf(bytes);
  } catch (e) {
    if (!(e instanceof ElfError)) assert.fail(`${what}: threw ${String(e)} instead of ElfError`);
    assert.equal(e.errno, 22, what);
    assert.ok(e.message.length > 0, what);
    return 'rejected';
  }
  exercise(elf);
  return 'ok';
}

function mustReject(bytes: Uint8Array, what: string): void {
  assert.equal(parseOrElfError(bytes, what), 'rejected', `${what}: expected an ElfError`);
}

function setLE(bytes: Uint8Array, offset: number, size: number, value: bigint): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < size; i++) out[offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

function getLE(bytes: Uint8Array, offset: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  return v;
}

/** Interesting values for a field of `size` bytes currently holding `cur`, given the file length. */
function extremes(size: number, cur: bigint, fileLength: number, shnum: number): bigint[] {
  const max = (1n << BigInt(8 * size)) - 1n;
  const vals = [0n, 1n, max, max >> 1n, max - 1n, cur ^ max, cur + 1n, cur - 1n, BigInt(fileLength), BigInt(fileLength + 1), BigInt(shnum), BigInt(shnum - 1)];
  if (size === 8) vals.push(1n << 53n, (1n << 53n) - 1n, 1n << 63n);
  if (size >= 4) vals.push(0x8000_0000n, 0xffff_ffffn, 0xff00n, 0xffffn);
  return [...new Set(vals.map((v) => v & max))];
}

// Elf64_Ehdr fields: [offset, size].
const HEADER_FIELDS: readonly (readonly [number, number])[] = [
  [0, 4], [4, 1], [5, 1], [6, 1], [7, 1], [8, 1], [16, 2], [18, 2], [20, 4], [24, 8], [32, 8], [40, 8], [48, 4], [52, 2], [54, 2],
  [56, 2], [58, 2], [60, 2], [62, 2],
];
// Elf64_Shdr fields: [name, offset, size].
const SHDR_FIELDS: readonly (readonly [string, number, number])[] = [
  ['sh_name', 0, 4], ['sh_type', 4, 4], ['sh_flags', 8, 8], ['sh_addr', 16, 8], ['sh_offset', 24, 8], ['sh_size', 32, 8],
  ['sh_link', 40, 4], ['sh_info', 44, 4], ['sh_addralign', 48, 8], ['sh_entsize', 56, 8],
];

for (const name of FIXTURES) {
  const orig = load(name);
  const elf = parseElf(orig);
  const { shoff, shnum } = elf.header;
  const shdr = (i: number): number => shoff + i * ELF64_SHDR_SIZE;

  describe(`corruption of ${name}`, SUITE, () => {
    it('truncation at every section, table-entry and header-field boundary, and sampled lengths, is rejected', () => {
      const cuts = new Set<number>([0, 1, 3, 4, 5, 15, 16, 63, 64]);
      for (const [off, size] of HEADER_FIELDS) { cuts.add(off); cuts.add(off + size); }
      for (const s of elf.sections) { cuts.add(s.offset); cuts.add(s.offset + s.size); cuts.add(s.offset + s.size - 1); }
      for (let i = 0; i <= shnum; i++) { cuts.add(shdr(i)); cuts.add(shdr(i) - 1); }
      const symtab = elf.symtab;
      if (symtab) for (let i = 0; i <= elf.symbols.length; i++) cuts.add(symtab.offset + i * ELF64_SYM_SIZE);
      for (let n = 0; n < orig.length; n += 97) cuts.add(n);
      let count = 0;
      for (const n of cuts) {
        if (n < 0 || n >= orig.length) continue;
        // The section header table ends the file, so any shorter file loses part of it.
        mustReject(orig.subarray(0, n), `truncated to ${n} bytes`);
        count++;
      }
      assert.ok(count > 100);
    });

    it('every ELF header field set to extreme values parses or throws ElfError', () => {
      let rejected = 0;
      for (const [off, size] of HEADER_FIELDS) {
        for (const v of extremes(size, getLE(orig, off, size), orig.length, shnum)) {
          if (parseOrElfError(setLE(orig, off, size, v), `header field @${off} = ${v}`) === 'rejected') rejected++;
        }
      }
      assert.ok(rejected > 50);
      mustReject(setLE(orig, 4, 1, 1n), 'ELFCLASS32');
      mustReject(setLE(orig, 5, 1, 2n), 'big-endian');
      mustReject(setLE(orig, 40, 8, BigInt(orig.length)), 'e_shoff at end of file');
      mustReject(setLE(orig, 60, 2, BigInt(shnum + 1)), 'e_shnum one too many');
      mustReject(setLE(orig, 62, 2, BigInt(shnum)), 'e_shstrndx out of range');
    });

    it('every section header field set to out-of-range values parses or throws ElfError', () => {
      for (let i = 0; i < shnum; i++) {
        for (const [field, off, size] of SHDR_FIELDS) {
          const at = shdr(i) + off;
          for (const v of extremes(size, getLE(orig, at, size), orig.length, shnum)) {
            parseOrElfError(setLE(orig, at, size, v), `section ${i} ${field} = ${v}`);
          }
        }
      }
    });

    it('section header values that are certainly invalid are rejected', () => {
      const strtabSize = elf.sections[elf.header.shstrndx]?.size ?? 0;
      for (const s of elf.sections) {
        if (s.index === 0) continue;
        const where = `section ${s.index} '${s.name}'`;
        mustReject(setLE(orig, shdr(s.index) + 40, 4, BigInt(shnum)), `${where} sh_link = shnum`);
        mustReject(setLE(orig, shdr(s.index), 4, BigInt(strtabSize)), `${where} sh_name = string table size`);
        if (s.type !== SHT_NOBITS && s.type !== SHT_NULL && s.size > 0) {
          mustReject(setLE(orig, shdr(s.index) + 24, 8, BigInt(orig.length)), `${where} sh_offset = file length`);
          mustReject(setLE(orig, shdr(s.index) + 32, 8, BigInt(orig.length - s.offset + 1)), `${where} sh_size one past the file`);
        }
        if (s.type === SHT_REL) {
          mustReject(setLE(orig, shdr(s.index) + 44, 4, BigInt(shnum)), `${where} sh_info = shnum`);
          mustReject(setLE(orig, shdr(s.index) + 56, 8, 24n), `${where} sh_entsize = 24`);
        }
      }
    });

    it('symbol entries with bad names, section indices and values', () => {
      const symtab = elf.symtab;
      assert.ok(symtab);
      const strSize = elf.sections[symtab.link]?.size ?? 0;
      for (const sym of elf.symbols) {
        const at = symtab.offset + sym.index * ELF64_SYM_SIZE;
        const where = `symbol ${sym.index} '${sym.name}'`;
        mustReject(setLE(orig, at, 4, 0xffff_ffffn), `${where} st_name = 0xffffffff`);
        mustReject(setLE(orig, at, 4, BigInt(strSize)), `${where} st_name = string table size`);
        mustReject(setLE(orig, at + 6, 2, BigInt(shnum)), `${where} st_shndx = shnum`);
        mustReject(setLE(orig, at + 6, 2, 0xffffn), `${where} st_shndx = SHN_XINDEX without a table`);
        mustReject(setLE(orig, at + 8, 8, 1n << 63n), `${where} st_value = 2^63`);
        const abs = parseElf(setLE(orig, at + 6, 2, BigInt(SHN_ABS)));
        assert.equal(abs.symbols[sym.index]?.section, undefined);
        for (let info = 0; info < 256; info += 17) parseOrElfError(setLE(orig, at + 4, 2, BigInt(info * 257)), `${where} st_info/st_other = ${info}`);
        // The last byte of the string table is its terminating NUL: pointing there gives "".
        const empty = parseElf(setLE(orig, at, 4, BigInt(strSize - 1)));
        assert.equal(empty.symbols[sym.index]?.name, '');
      }
    });

    it('relocation entries naming a missing symbol or an offset outside the target are rejected', () => {
      for (const sec of elf.sections) {
        if (sec.type !== SHT_REL) continue;
        const target = elf.sections[sec.info];
        assert.ok(target);
        for (let i = 0; i < sec.size / ELF64_REL_SIZE; i++) {
          const at = sec.offset + i * ELF64_REL_SIZE;
          mustReject(setLE(orig, at + 12, 4, BigInt(elf.symbols.length)), `${sec.name}[${i}] symbol = count`);
          mustReject(setLE(orig, at, 8, BigInt(target.size)), `${sec.name}[${i}] r_offset = target size`);
          mustReject(setLE(orig, at, 8, 1n << 63n), `${sec.name}[${i}] r_offset = 2^63`);
          parseOrElfError(setLE(orig, at + 8, 4, 0xffff_ffffn), `${sec.name}[${i}] type = 0xffffffff`);
        }
      }
    });

    it('seeded random mutations (3000 mutants) parse or throw ElfError', () => {
      const rand = mulberry32(0x5eed + orig.length);
      const pick = (n: number): number => Math.floor(rand() * n);
      const interesting = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0xffffn, 0xff00n, 0x7fff_ffffn, 0xffff_ffffn, BigInt(orig.length), BigInt(shnum), 1n << 53n, (1n << 64n) - 1n];
      const outcomes = { ok: 0, rejected: 0 };
      for (let m = 0; m < 3000; m++) {
        let bytes: Uint8Array = orig.slice();
        const edits = 1 + pick(6);
        for (let e = 0; e < edits; e++) {
          // Bias half the edits toward the ELF header and section header table, where a byte
          // changes structure rather than content.
          const structural = rand() < 0.5;
          const off = structural
            ? (rand() < 0.2 ? pick(64) : shoff + pick(orig.length - shoff))
            : pick(bytes.length);
          switch (pick(4)) {
            case 0: bytes[off] = pick(256); break;
            case 1: bytes[off] = (bytes[off] ?? 0) ^ (1 << pick(8)); break;
            case 2: {
              const size = [1, 2, 4, 8][pick(4)] ?? 4;
              if (off + size <= bytes.length) bytes = setLE(bytes, off, size, interesting[pick(interesting.length)] ?? 0n);
              break;
            }
            default: if (rand() < 0.2) bytes = bytes.subarray(0, pick(bytes.length));
          }
        }
        outcomes[parseOrElfError(bytes, `mutant ${m}`)]++;
      }
      // Both outcomes must occur, or the mutator is not exercising the parser.
      assert.ok(outcomes.ok > 100 && outcomes.rejected > 100, JSON.stringify(outcomes));
    });
  });
}

/** A small seeded PRNG (mulberry32), so a failing mutant is reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

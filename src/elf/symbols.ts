/**
 * The symbol table (.symtab): names, binding, type, visibility and section indices, including
 * SHN_XINDEX through an SHT_SYMTAB_SHNDX section. Works in node / browser.
 */
import {
  ELF64_SYM_SIZE, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT_STRTAB, SHT_SYMTAB, SHT_SYMTAB_SHNDX,
} from './constants.ts';
import { fileReader, readU64AsNumber, sectionError, StringTable } from './read.ts';
import type { ElfSection, ElfSymbol } from './types.ts';

/** The symbol table section (if any) and its entries in index order. */
export interface SymbolTable {
  readonly symtab: ElfSection | undefined;
  readonly symbols: readonly ElfSymbol[];
}

/**
 * Parses the one SHT_SYMTAB section. The entry count is size / 24 of a section already known to
 * lie in the file, so it is bounded by the file size.
 * @throws {ElfError} EINVAL for a second symbol table, a bad entsize or size, a bad string table
 *   link, a name outside its table, or a section index that does not exist.
 */
export function parseSymbols(bytes: Uint8Array, sections: readonly ElfSection[]): SymbolTable {
  const tables = sections.filter((s) => s.type === SHT_SYMTAB);
  const symtab = tables[0];
  if (symtab === undefined) return { symtab: undefined, symbols: [] };
  const second = tables[1];
  if (second !== undefined) throw sectionError(second, `a second SHT_SYMTAB section (the first is section ${symtab.index})`);
  if (symtab.entsize !== ELF64_SYM_SIZE) {
    throw sectionError(symtab, `sh_entsize ${symtab.entsize} is not the Elf64_Sym size ${ELF64_SYM_SIZE}`);
  }
  if (symtab.size % ELF64_SYM_SIZE !== 0) {
    throw sectionError(symtab, `size ${symtab.size} is not a multiple of the ${ELF64_SYM_SIZE}-byte entry`, symtab.offset);
  }
  const count = symtab.size / ELF64_SYM_SIZE;
  const strSec = sections[symtab.link];
  if (symtab.link === SHN_UNDEF || strSec === undefined || strSec.type !== SHT_STRTAB) {
    throw sectionError(symtab, `sh_link ${symtab.link} is not a SHT_STRTAB section`);
  }
  // sh_info is one past the last local symbol.
  if (symtab.info > count) {
    throw sectionError(symtab, `sh_info ${symtab.info} (first global symbol) is past the ${count} symbols`);
  }
  const names = new StringTable(strSec.data, strSec, strSec.offset);
  const xindex = extendedIndices(sections, symtab, count);

  const r = fileReader(bytes, `symbol table (section ${symtab.index} '${symtab.name}')`, symtab.name);
  const symbols: ElfSymbol[] = [];
  for (let i = 0; i < count; i++) {
    const at = symtab.offset + i * ELF64_SYM_SIZE;
    const info = r.u8(at + 4);
    const rawShndx = r.u16(at + 6);
    let shndx = rawShndx;
    if (rawShndx === SHN_XINDEX) {
      if (xindex === undefined) {
        throw sectionError(symtab, `symbol ${i} has st_shndx SHN_XINDEX but there is no SHT_SYMTAB_SHNDX section`, at + 6);
      }
      shndx = r.u32(xindex.offset + i * 4);
    }
    const name = names.get(r.u32(at), `st_name of symbol ${i}`);
    let section: ElfSection | undefined;
    // Reserved indices (SHN_ABS, SHN_COMMON, processor-specific) are kept as is, with no section;
    // an index from SHN_XINDEX is always a real one, even above SHN_LORESERVE.
    if (shndx !== SHN_UNDEF && (rawShndx === SHN_XINDEX || shndx < SHN_LORESERVE)) {
      section = sections[shndx];
      if (section === undefined) {
        throw sectionError(symtab, `symbol ${i} '${name}' refers to section ${shndx}, which does not exist (the file has ${sections.length})`, at + 6);
      }
    }
    const base = {
      index: i,
      name,
      value: readU64AsNumber(r, at + 8, `st_value of symbol ${i}`, symtab.name),
      size: readU64AsNumber(r, at + 16, `st_size of symbol ${i}`, symtab.name),
      bind: info >> 4,
      type: info & 0xf,
      visibility: r.u8(at + 5) & 0x3,
      shndx,
    };
    symbols.push(section === undefined ? base : { ...base, section });
  }
  return { symtab, symbols };
}

/** The SHT_SYMTAB_SHNDX section linked to `symtab`, checked to hold one u32 a symbol. */
function extendedIndices(sections: readonly ElfSection[], symtab: ElfSection, count: number): ElfSection | undefined {
  const s = sections.find((x) => x.type === SHT_SYMTAB_SHNDX && x.link === symtab.index);
  if (s === undefined) return undefined;
  if (s.entsize !== 4 && s.entsize !== 0) throw sectionError(s, `sh_entsize ${s.entsize} of SHT_SYMTAB_SHNDX is not 4`);
  if (s.size !== count * 4) {
    throw sectionError(s, `size ${s.size} does not match the ${count} symbols of section ${symtab.index} (expected ${count * 4})`, s.offset);
  }
  return s;
}

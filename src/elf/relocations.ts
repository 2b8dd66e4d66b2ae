/**
 * Relocation sections (SHT_REL and SHT_RELA), grouped by the section they apply to (sh_info).
 * r_info is read as two u32 halves: symbol index above, type below. Works in node / browser.
 */
import { s64 } from '../util/u64.ts';
import { ELF64_REL_SIZE, ELF64_RELA_SIZE, SHT_REL, SHT_RELA } from './constants.ts';
import { fileReader, readU64AsNumber, sectionError } from './read.ts';
import type { ElfRelocation, ElfSection, ElfSymbol } from './types.ts';

/**
 * Parses every SHT_REL / SHT_RELA section and groups the entries by target section index. Entry
 * counts are size / entsize of sections already known to lie in the file.
 * @throws {ElfError} EINVAL for a bad entsize or size, a symbol-table link that is not the
 *   .symtab, a symbol index past the table, or an r_offset outside the target section.
 */
export function parseRelocations(
  bytes: Uint8Array,
  sections: readonly ElfSection[],
  symtab: ElfSection | undefined,
  symbols: readonly ElfSymbol[],
): Map<number, ElfRelocation[]> {
  const byTarget = new Map<number, ElfRelocation[]>();
  for (const sec of sections) {
    if (sec.type !== SHT_REL && sec.type !== SHT_RELA) continue;
    const rela = sec.type === SHT_RELA;
    const entSize = rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
    if (sec.entsize !== entSize) {
      throw sectionError(sec, `sh_entsize ${sec.entsize} is not the ${rela ? 'Elf64_Rela' : 'Elf64_Rel'} size ${entSize}`);
    }
    if (sec.size % entSize !== 0) throw sectionError(sec, `size ${sec.size} is not a multiple of the ${entSize}-byte entry`, sec.offset);
    if (symtab === undefined || sec.link !== symtab.index) {
      throw sectionError(sec, `sh_link ${sec.link} is not the symbol table${symtab === undefined ? ' (the file has none)' : ` (section ${symtab.index})`}`);
    }
    // sh_info was checked to be a section index when the section table was read; 0 means the
    // relocations apply to no particular section (dynamic relocations) and have no offset bound.
    const target = sections[sec.info];
    const list = byTarget.get(sec.info) ?? [];
    byTarget.set(sec.info, list);
    const r = fileReader(bytes, `relocation section ${sec.index} '${sec.name}'`, sec.name);
    const count = sec.size / entSize;
    for (let i = 0; i < count; i++) {
      const at = sec.offset + i * entSize;
      const offset = readU64AsNumber(r, at, `r_offset of relocation ${i}`, sec.name);
      const type = r.u32(at + 8);
      const symbolIndex = r.u32(at + 12);
      const symbol = symbols[symbolIndex];
      if (symbol === undefined) {
        throw sectionError(sec, `relocation ${i} refers to symbol ${symbolIndex}, past the ${symbols.length}-entry symbol table`, at + 12);
      }
      if (sec.info !== 0 && target !== undefined && offset >= target.size) {
        throw sectionError(sec, `relocation ${i} at r_offset ${offset} is outside section ${target.index} '${target.name}' (${target.size} bytes)`, at);
      }
      list.push(rela
        ? { offset, symbolIndex, type, addend: s64(r.u64(at + 16)), symbol, section: sec }
        : { offset, symbolIndex, type, symbol, section: sec });
    }
  }
  return byTarget;
}

/**
 * parseElf(): header, section table, symbols and relocations, all validated up front so a
 * malformed file fails in one place with one typed error. Works in node / browser.
 */
import { ElfError } from '../util/errors.ts';
import { parseHeader } from './header.ts';
import { parseRelocations } from './relocations.ts';
import { parseSections } from './sections.ts';
import { parseSymbols } from './symbols.ts';
import type { ElfFile, ElfHeader, ElfRelocation, ElfSection, ElfSymbol } from './types.ts';

const NO_RELOCATIONS: readonly ElfRelocation[] = Object.freeze([]);

class ParsedElf implements ElfFile {
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  readonly symtab: ElfSection | undefined;
  readonly symbols: readonly ElfSymbol[];
  private readonly byName: Map<string, ElfSection>;
  private readonly relocsByTarget: Map<number, readonly ElfRelocation[]>;

  constructor(
    bytes: Uint8Array,
    header: ElfHeader,
    sections: readonly ElfSection[],
    symtab: ElfSection | undefined,
    symbols: readonly ElfSymbol[],
    relocs: Map<number, readonly ElfRelocation[]>,
  ) {
    this.bytes = bytes;
    this.header = header;
    this.sections = sections;
    this.symtab = symtab;
    this.symbols = symbols;
    this.relocsByTarget = relocs;
    this.byName = new Map();
    for (const s of sections) if (!this.byName.has(s.name)) this.byName.set(s.name, s);
  }

  sectionByName(name: string): ElfSection | undefined {
    return this.byName.get(name);
  }

  relocations(target: ElfSection): readonly ElfRelocation[] {
    // Identity check: a section of another file with the same index must not match.
    if (this.sections[target.index] !== target) return NO_RELOCATIONS;
    return this.relocsByTarget.get(target.index) ?? NO_RELOCATIONS;
  }
}

/**
 * Parses a little-endian ELF64 object. The result holds views into `bytes` (no copies), so the
 * caller must not modify the array afterwards.
 * @throws {ElfError} EINVAL for anything malformed or unsupported (ELF32, big-endian), naming the
 *   section and byte offset. Works in node / browser.
 */
export function parseElf(bytes: Uint8Array): ElfFile {
  if (!(bytes instanceof Uint8Array)) throw new ElfError('parseElf expects a Uint8Array');
  const raw = parseHeader(bytes);
  const { header, sections } = parseSections(bytes, raw);
  const { symtab, symbols } = parseSymbols(bytes, sections);
  const relocs = parseRelocations(bytes, sections, symtab, symbols);
  return new ParsedElf(bytes, header, Object.freeze(sections.slice()), symtab, Object.freeze(symbols.slice()), relocs);
}

/**
 * @module elf
 * A generic little-endian ELF64 reader: header, sections, the symbol table and REL/RELA
 * relocations, validated up front and bounded by the file size (no allocation a crafted count
 * can inflate, no loops over cyclic links). It knows nothing of BPF beyond the R_BPF_* and EM_BPF
 * constants: loader/ is where ELF, BTF and the ISA meet.
 *
 * Imports only util/. Must not import btf/, isa/, loader/ or anything above them.
 * Reference: System V gABI, "Object Files" (https://www.sco.com/developers/gabi/latest/ch4.intro.html).
 * Works in node / browser.
 */
export { parseElf } from './parse.ts';
export type { ElfFile, ElfHeader, ElfRelocation, ElfSection, ElfSymbol } from './types.ts';
export * from './constants.ts';

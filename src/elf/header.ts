/**
 * The ELF64 file header (e_ident and the Elf64_Ehdr fields). Works in node / browser.
 */
import { ElfError } from '../util/errors.ts';
import {
  EI_ABIVERSION, EI_CLASS, EI_DATA, EI_OSABI, EI_VERSION, ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, ELF64_SHDR_SIZE, ELFCLASS32,
  ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, ELFMAG, EV_CURRENT,
} from './constants.ts';
import { fileReader, inBounds, readU64AsNumber } from './read.ts';
import type { ElfHeader } from './types.ts';

/**
 * The header fields as stored: the same shape as {@link ElfHeader}, but e_shnum and e_shstrndx
 * not yet resolved through extended numbering (the section-table parser, which owns section 0,
 * does that).
 */
export type RawElfHeader = ElfHeader;

/**
 * Parses and checks the 64-byte ELF header: magic, ELFCLASS64, little-endian, EV_CURRENT, header
 * and table entry sizes, and the program-header table inside the file.
 * @throws {ElfError} EINVAL for anything else, with the offending byte offset.
 */
export function parseHeader(bytes: Uint8Array): RawElfHeader {
  const r = fileReader(bytes, 'ELF header');
  if (bytes.length < ELFMAG.length || ELFMAG.some((b, i) => bytes[i] !== b)) {
    throw new ElfError('not an ELF file: bad magic (expected 7f 45 4c 46)', { offset: 0 });
  }
  if (bytes.length < ELF64_EHDR_SIZE) {
    throw new ElfError(`ELF header truncated: file is ${bytes.length} bytes, the ELF64 header needs ${ELF64_EHDR_SIZE}`, { offset: bytes.length });
  }
  const cls = r.u8(EI_CLASS);
  if (cls === ELFCLASS32) throw new ElfError('ELF32 objects are not supported (EI_CLASS is ELFCLASS32)', { offset: EI_CLASS });
  if (cls !== ELFCLASS64) throw new ElfError(`invalid EI_CLASS ${cls} (expected ELFCLASS64)`, { offset: EI_CLASS });
  const data = r.u8(EI_DATA);
  if (data === ELFDATA2MSB) throw new ElfError('big-endian ELF objects are not supported', { offset: EI_DATA });
  if (data !== ELFDATA2LSB) throw new ElfError(`invalid EI_DATA ${data} (expected ELFDATA2LSB)`, { offset: EI_DATA });
  const identVersion = r.u8(EI_VERSION);
  if (identVersion !== EV_CURRENT) throw new ElfError(`invalid EI_VERSION ${identVersion} (expected ${EV_CURRENT})`, { offset: EI_VERSION });

  const version = r.u32(20);
  if (version !== EV_CURRENT) throw new ElfError(`invalid e_version ${version} (expected ${EV_CURRENT})`, { offset: 20 });
  const h: RawElfHeader = {
    class: cls,
    data,
    identVersion,
    osabi: r.u8(EI_OSABI),
    abiVersion: r.u8(EI_ABIVERSION),
    type: r.u16(16),
    machine: r.u16(18),
    version,
    entry: r.u64(24),
    phoff: readU64AsNumber(r, 32, 'e_phoff'),
    shoff: readU64AsNumber(r, 40, 'e_shoff'),
    flags: r.u32(48),
    ehsize: r.u16(52),
    phentsize: r.u16(54),
    phnum: r.u16(56),
    shentsize: r.u16(58),
    shnum: r.u16(60),
    shstrndx: r.u16(62),
  };
  if (h.ehsize !== ELF64_EHDR_SIZE) {
    throw new ElfError(`invalid e_ehsize ${h.ehsize} (expected ${ELF64_EHDR_SIZE})`, { offset: 52 });
  }
  // Program headers are not used (BPF objects are relocatable), but a table that claims to be
  // there must be well formed, as libelf requires.
  if (h.phnum !== 0) {
    if (h.phentsize !== ELF64_PHDR_SIZE) {
      throw new ElfError(`invalid e_phentsize ${h.phentsize} (expected ${ELF64_PHDR_SIZE})`, { offset: 54 });
    }
    if (!inBounds(h.phoff, h.phnum * ELF64_PHDR_SIZE, bytes.length)) {
      throw new ElfError(`program header table (${h.phnum} entries at offset ${h.phoff}) is outside the ${bytes.length}-byte file`, { offset: 32 });
    }
  }
  // A file without sections may leave e_shentsize 0; otherwise it must be the ELF64 size.
  if (h.shoff !== 0 && h.shentsize !== ELF64_SHDR_SIZE) {
    throw new ElfError(`invalid e_shentsize ${h.shentsize} (expected ${ELF64_SHDR_SIZE})`, { offset: 58 });
  }
  return h;
}

/**
 * The section header table: extended numbering, names from the section-name string table, bounds
 * of every section's bytes, and sh_link / sh_info indices. Works in node / browser.
 */
import { ElfError } from '../util/errors.ts';
import {
  ELF64_EHDR_SIZE, ELF64_SHDR_SIZE, SHF_INFO_LINK, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT_NOBITS, SHT_NULL, SHT_REL,
  SHT_RELA, SHT_STRTAB,
} from './constants.ts';
import type { RawElfHeader } from './header.ts';
import { describeSection, fileReader, inBounds, readU64AsNumber, sectionError, StringTable } from './read.ts';
import type { ElfHeader, ElfSection } from './types.ts';

/** A section header as read, before its name is looked up and its bytes are sliced. */
type RawSection = Omit<ElfSection, 'name' | 'data'> & { readonly nameOffset: number };

/** The resolved header and the validated sections, index 0 first. */
export interface SectionTable {
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
}

function readSectionHeader(bytes: Uint8Array, shoff: number, index: number): RawSection {
  const at = shoff + index * ELF64_SHDR_SIZE;
  const r = fileReader(bytes, `section header ${index}`);
  return {
    index,
    nameOffset: r.u32(at),
    type: r.u32(at + 4),
    flags: r.u64(at + 8),
    addr: r.u64(at + 16),
    offset: readU64AsNumber(r, at + 24, `section header ${index}: sh_offset`),
    size: readU64AsNumber(r, at + 32, `section header ${index}: sh_size`),
    link: r.u32(at + 40),
    info: r.u32(at + 44),
    addralign: readU64AsNumber(r, at + 48, `section header ${index}: sh_addralign`),
    entsize: readU64AsNumber(r, at + 56, `section header ${index}: sh_entsize`),
  };
}

/** True when the section occupies bytes of the file. */
function hasFileData(type: number): boolean {
  return type !== SHT_NOBITS && type !== SHT_NULL;
}

/**
 * Reads the section header table described by `raw` and resolves e_shnum / e_shstrndx (extended
 * numbering through section 0). The table and every section's bytes must lie in the file, so the
 * section count is bounded by the file size before anything is allocated.
 * @throws {ElfError} EINVAL naming the section index (and name once known) and the byte offset.
 */
export function parseSections(bytes: Uint8Array, raw: RawElfHeader): SectionTable {
  if (raw.shoff === 0) {
    if (raw.shnum !== 0) throw new ElfError(`e_shnum is ${raw.shnum} but e_shoff is 0 (no section header table)`, { offset: 60 });
    if (raw.shstrndx !== SHN_UNDEF) throw new ElfError(`e_shstrndx is ${raw.shstrndx} but the file has no sections`, { offset: 62 });
    return { header: { ...raw, shnum: 0, shstrndx: 0 }, sections: [] };
  }
  if (raw.shoff < ELF64_EHDR_SIZE) {
    throw new ElfError(`section header table at offset ${raw.shoff} overlaps the ELF header`, { offset: 40 });
  }
  if (!inBounds(raw.shoff, ELF64_SHDR_SIZE, bytes.length)) {
    throw new ElfError(`section header table at offset ${raw.shoff} is outside the ${bytes.length}-byte file`, { offset: 40 });
  }
  const first = readSectionHeader(bytes, raw.shoff, 0);
  // Extended numbering (gABI): e_shnum 0 means the count is in section 0's sh_size, and
  // e_shstrndx SHN_XINDEX means the index is in section 0's sh_link.
  const shnum = raw.shnum !== 0 ? raw.shnum : first.size;
  if (shnum === 0) throw new ElfError('section header table has 0 entries although e_shoff is set', { offset: 60 });
  if (shnum > Math.floor((bytes.length - raw.shoff) / ELF64_SHDR_SIZE)) {
    throw new ElfError(`section header table (${shnum} entries at offset ${raw.shoff}) is outside the ${bytes.length}-byte file`, { offset: raw.shoff });
  }
  let shstrndx = raw.shstrndx;
  if (shstrndx === SHN_XINDEX) shstrndx = first.link;
  else if (shstrndx >= SHN_LORESERVE) throw new ElfError(`invalid e_shstrndx ${shstrndx} (reserved index)`, { offset: 62 });
  if (shstrndx >= shnum) {
    throw new ElfError(`e_shstrndx ${shstrndx} is out of range (the file has ${shnum} sections)`, { offset: 62 });
  }
  if (first.type !== SHT_NULL) {
    throw new ElfError(`section 0 must be SHT_NULL, found type ${first.type}`, { offset: raw.shoff + 4 });
  }

  const raws: RawSection[] = [first];
  for (let i = 1; i < shnum; i++) raws.push(readSectionHeader(bytes, raw.shoff, i));

  const names = sectionNames(bytes, raws, shstrndx);
  const sections: ElfSection[] = raws.map((s, i) => {
    const name = names[i] ?? '';
    if (hasFileData(s.type) && !inBounds(s.offset, s.size, bytes.length)) {
      throw sectionError({ index: s.index, name }, `data (${s.size} bytes at offset ${s.offset}) is outside the ${bytes.length}-byte file`, s.offset);
    }
    const data = hasFileData(s.type) ? bytes.subarray(s.offset, s.offset + s.size) : new Uint8Array(0);
    const { index, type, flags, addr, offset, size, link, info, addralign, entsize } = s;
    return { index, name, type, flags, addr, offset, size, link, info, addralign, entsize, data };
  });

  for (const s of sections) {
    if (s.index === 0) continue; // section 0's link/info carry extended numbering, checked above
    const at = raw.shoff + s.index * ELF64_SHDR_SIZE;
    if (s.link >= shnum) {
      throw sectionError(s, `sh_link ${s.link} is not a section index (the file has ${shnum} sections)`, at + 40);
    }
    // sh_info is a section index for relocation sections and when SHF_INFO_LINK says so.
    if ((s.type === SHT_REL || s.type === SHT_RELA || (s.flags & SHF_INFO_LINK) !== 0n) && s.info >= shnum) {
      throw sectionError(s, `sh_info ${s.info} is not a section index (the file has ${shnum} sections)`, at + 44);
    }
  }
  return { header: { ...raw, shnum, shstrndx }, sections };
}

function sectionNames(bytes: Uint8Array, raws: readonly RawSection[], shstrndx: number): string[] {
  if (shstrndx === SHN_UNDEF) {
    // No name table: every name must be empty.
    for (const s of raws) {
      if (s.nameOffset !== 0) throw sectionError({ index: s.index, name: '' }, `sh_name ${s.nameOffset} but the file has no section-name string table (e_shstrndx is 0)`);
    }
    return raws.map(() => '');
  }
  const strSec = raws[shstrndx];
  if (strSec === undefined) throw new ElfError(`e_shstrndx ${shstrndx} is out of range`, { offset: 62 });
  const ref = { index: shstrndx, name: '' };
  if (strSec.type !== SHT_STRTAB) {
    throw sectionError(ref, `the section-name table (e_shstrndx) must be SHT_STRTAB, found type ${strSec.type}`);
  }
  if (!inBounds(strSec.offset, strSec.size, bytes.length)) {
    throw sectionError(ref, `section-name table (${strSec.size} bytes at offset ${strSec.offset}) is outside the ${bytes.length}-byte file`, strSec.offset);
  }
  const table = new StringTable(bytes.subarray(strSec.offset, strSec.offset + strSec.size), ref, strSec.offset);
  return raws.map((s) => table.get(s.nameOffset, `sh_name of ${describeSection({ index: s.index, name: '' })}`));
}

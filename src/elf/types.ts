/**
 * The parsed shape of an ELF64 object: plain read-only data, no BPF knowledge. Works in node /
 * browser.
 */

/** The ELF file header, with e_shnum and e_shstrndx already resolved through extended numbering. */
export interface ElfHeader {
  /** e_ident[EI_CLASS]: always ELFCLASS64 once parsed. */
  readonly class: number;
  /** e_ident[EI_DATA]: always ELFDATA2LSB once parsed. */
  readonly data: number;
  /** e_ident[EI_VERSION]. */
  readonly identVersion: number;
  readonly osabi: number;
  readonly abiVersion: number;
  /** e_type: ET_REL for a clang BPF object. */
  readonly type: number;
  /** e_machine: EM_BPF (247) for a BPF object. */
  readonly machine: number;
  /** e_version. */
  readonly version: number;
  readonly entry: bigint;
  readonly phoff: number;
  readonly shoff: number;
  readonly flags: number;
  readonly ehsize: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  /** Number of section headers (from section 0's sh_size when e_shnum is 0). */
  readonly shnum: number;
  /** Index of the section-name string table (from section 0's sh_link when e_shstrndx is SHN_XINDEX). */
  readonly shstrndx: number;
}

/** One section header and a view of its bytes. */
export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  /** sh_offset in the file. */
  readonly offset: number;
  /** sh_size; for SHT_NOBITS the size in memory, with no bytes in the file. */
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
  /** A view (no copy) of the section's bytes; empty for SHT_NOBITS and SHT_NULL. Compressed data is left as is. */
  readonly data: Uint8Array;
}

/** One .symtab entry, with its section index resolved (SHN_XINDEX through SHT_SYMTAB_SHNDX). */
export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly value: number;
  readonly size: number;
  /** STB_* (st_info >> 4). */
  readonly bind: number;
  /** STT_* (st_info & 0xf). */
  readonly type: number;
  /** STV_* (st_other & 3). */
  readonly visibility: number;
  /** The real section index, or SHN_UNDEF / SHN_ABS / SHN_COMMON / another reserved index. */
  readonly shndx: number;
  /** The section the symbol is defined in; absent for SHN_UNDEF and reserved indices. */
  readonly section?: ElfSection;
}

/** One REL or RELA entry. */
export interface ElfRelocation {
  /** r_offset: byte offset inside the target section. */
  readonly offset: number;
  /** r_info >> 32. */
  readonly symbolIndex: number;
  /** r_info & 0xffffffff (R_BPF_* for BPF objects). */
  readonly type: number;
  /** r_addend (signed) for SHT_RELA entries; absent for SHT_REL. */
  readonly addend?: bigint;
  readonly symbol: ElfSymbol;
  /** The SHT_REL / SHT_RELA section the entry came from. */
  readonly section: ElfSection;
}

/** A parsed ELF64 little-endian object. Everything is validated when it is built. */
export interface ElfFile {
  /** The whole file, as given to parseElf. */
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  /** All sections in index order; index 0 is the null section. */
  readonly sections: readonly ElfSection[];
  /** The first section with this name, if any. */
  sectionByName(name: string): ElfSection | undefined;
  /** The SHT_SYMTAB section, if the file has one. */
  readonly symtab: ElfSection | undefined;
  /** .symtab entries in index order (entry 0 is the null symbol); empty without a symbol table. */
  readonly symbols: readonly ElfSymbol[];
  /** Entries of every SHT_REL / SHT_RELA section whose sh_info is `target.index`, in section then entry order. */
  relocations(target: ElfSection): readonly ElfRelocation[];
}

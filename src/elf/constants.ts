/**
 * ELF64 constants with their System V gABI spelling (and the BPF relocation types from
 * llvm/BinaryFormat/ELFRelocs/BPF.def), so a grep against elf.h finds them. Flags are bigint
 * because sh_flags is a 64-bit field. Works in node / browser.
 */

// e_ident layout and values.
/** The four magic bytes every ELF file starts with: 0x7f 'E' 'L' 'F'. */
export const ELFMAG: readonly number[] = [0x7f, 0x45, 0x4c, 0x46];
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const EI_OSABI = 7;
export const EI_ABIVERSION = 8;
export const EI_NIDENT = 16;
export const ELFCLASSNONE = 0;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATANONE = 0;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;

// e_type.
export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

// e_machine (only the ones this project meets).
export const EM_NONE = 0;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_BPF = 247;

// On-disk record sizes of the ELF64 structures.
export const ELF64_EHDR_SIZE = 64;
export const ELF64_PHDR_SIZE = 56;
export const ELF64_SHDR_SIZE = 64;
export const ELF64_SYM_SIZE = 24;
export const ELF64_REL_SIZE = 16;
export const ELF64_RELA_SIZE = 24;

// sh_type.
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_SHLIB = 10;
export const SHT_DYNSYM = 11;
export const SHT_INIT_ARRAY = 14;
export const SHT_FINI_ARRAY = 15;
export const SHT_PREINIT_ARRAY = 16;
export const SHT_GROUP = 17;
export const SHT_SYMTAB_SHNDX = 18;
/** LLVM's address-significance table (.llvm_addrsig), present in every clang object. */
export const SHT_LLVM_ADDRSIG = 0x6fff4c03;

// sh_flags.
export const SHF_WRITE = 0x1n;
export const SHF_ALLOC = 0x2n;
export const SHF_EXECINSTR = 0x4n;
export const SHF_MERGE = 0x10n;
export const SHF_STRINGS = 0x20n;
export const SHF_INFO_LINK = 0x40n;
export const SHF_LINK_ORDER = 0x80n;
export const SHF_OS_NONCONFORMING = 0x100n;
export const SHF_GROUP = 0x200n;
export const SHF_TLS = 0x400n;
export const SHF_COMPRESSED = 0x800n;
export const SHF_EXCLUDE = 0x80000000n;

// Special section indices (st_shndx, e_shstrndx).
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
/** The real index is elsewhere: SHT_SYMTAB_SHNDX for symbols, section 0's sh_link for e_shstrndx. */
export const SHN_XINDEX = 0xffff;
export const SHN_HIRESERVE = 0xffff;

// Symbol binding (st_info >> 4).
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STB_GNU_UNIQUE = 10;

// Symbol type (st_info & 0xf).
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STT_COMMON = 5;
export const STT_TLS = 6;

// Symbol visibility (st_other & 3).
export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const STV_PROTECTED = 3;

// BPF relocation types (r_info & 0xffffffff).
export const R_BPF_NONE = 0;
/** ld_imm64 of a map or global data address (the 64-bit immediate of a 16-byte insn). */
export const R_BPF_64_64 = 1;
/** 64-bit absolute data (DWARF). */
export const R_BPF_64_ABS64 = 2;
/** 32-bit absolute data (DWARF). */
export const R_BPF_64_ABS32 = 3;
/** 32-bit data that a dynamic loader leaves alone (.BTF, .BTF.ext). */
export const R_BPF_64_NODYLD32 = 4;
/** The 32-bit imm of a call (bpf-to-bpf call to a subprogram). */
export const R_BPF_64_32 = 10;

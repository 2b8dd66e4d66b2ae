/**
 * Functions of the executable sections (libbpf's bpf_object__add_programs()): every STT_FUNC
 * symbol in an SHF_EXECINSTR section is a function; those outside `.text` are programs, those in
 * `.text` are subprograms that programs call. Each function is decoded separately, with slot
 * indices relative to its own start. Works in node / browser.
 */
import type { CoreRelo } from '../btf/index.ts';
import type { ElfFile, ElfSection } from '../elf/index.ts';
import { SHF_EXECINSTR, SHT_PROGBITS, STB_LOCAL, STT_FUNC } from '../elf/index.ts';
import { decodeProgram, type Insn, INSN_SIZE } from '../isa/index.ts';
import { EOPNOTSUPP } from '../uapi/errno.ts';
import { isBpfError } from '../util/errors.ts';
import { LoaderError } from './errors.ts';

/** libbpf's relocation descriptor kinds (enum reloc_type), attached to one instruction. */
export type RawRelo =
  /** A bpf-to-bpf call: the callee is at byte `symOff` of `.text` plus the call's imm. */
  | { readonly type: 'call'; readonly symOff: number; readonly symbol: string }
  /** ld_imm64 of a function's address (a callback): byte `symOff` + imm in `.text`. */
  | { readonly type: 'subprogAddr'; readonly symOff: number; readonly symbol: string }
  /** ld_imm64 of a map. */
  | { readonly type: 'map'; readonly map: string; readonly symbol: string }
  /** ld_imm64 of global data: offset `symOff` + imm in the section's map. */
  | { readonly type: 'data'; readonly map: string; readonly symOff: number; readonly symbol: string }
  /** A call or ld_imm64 of an extern. */
  | { readonly type: 'externCall' | 'externLd'; readonly extern: string; readonly symbol: string };

/** One function of an executable section. */
export interface Func {
  readonly name: string;
  readonly section: ElfSection;
  /** Start in the section, in slots. */
  readonly secInsnOff: number;
  readonly slots: number;
  /** Decoded instructions; `idx` is relative to the function's start. Patched by CO-RE. */
  insns: Insn[];
  /** Relocations by slot index relative to the function's start. */
  readonly relos: Map<number, RawRelo>;
  /** True for functions of `.text` (subprograms). */
  readonly isSubprog: boolean;
  /** CO-RE relocations that could not be applied, by slot (the instruction is poisoned). */
  readonly coreFailures: Map<number, { readonly relo: CoreRelo; readonly reason: string }>;
}

/** Functions of every executable section, grouped by section index and sorted by offset. */
export type FuncTable = Map<number, Func[]>;

/** True for sections whose functions are code (SHT_PROGBITS, SHF_EXECINSTR, not empty). */
export function isCodeSection(s: ElfSection): boolean {
  return s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0n && s.size > 0;
}

/**
 * Finds and decodes every function.
 * @throws {LoaderError} EINVAL for a function crossing its section's end, a misaligned one or
 * undecodable code; EOPNOTSUPP for a static function outside `.text` (libbpf refuses it too).
 */
export function collectFunctions(elf: ElfFile): FuncTable {
  const table: FuncTable = new Map();
  for (const sym of elf.symbols) {
    const sec = sym.section;
    if (sym.type !== STT_FUNC || sec === undefined || !isCodeSection(sec)) continue;
    const where = { section: sec.name, symbol: sym.name, prog: sym.name };
    if (sym.name === '') throw new LoaderError(`sec '${sec.name}': function at offset ${sym.value} has no name`, where);
    if (sym.value + sym.size > sec.size || sym.value % INSN_SIZE !== 0 || sym.size % INSN_SIZE !== 0 || sym.size === 0) {
      throw new LoaderError(`sec '${sec.name}': program '${sym.name}' at offset ${sym.value} (${sym.size} bytes) crosses section boundary or is misaligned`, where);
    }
    const isSubprog = sec.name === '.text';
    if (!isSubprog && sym.bind === STB_LOCAL) {
      throw new LoaderError(`sec '${sec.name}': program '${sym.name}' is static and not supported`, where, EOPNOTSUPP);
    }
    let insns: Insn[];
    try {
      insns = decodeProgram(sec.data.subarray(sym.value, sym.value + sym.size));
    } catch (e) {
      if (!isBpfError(e)) throw e;
      const idx = (e as { insnIdx?: number }).insnIdx;
      throw new LoaderError(`prog '${sym.name}': ${e.message}`, { ...where, ...(idx !== undefined ? { insnIdx: idx } : {}) });
    }
    const list = table.get(sec.index) ?? [];
    list.push({ name: sym.name, section: sec, secInsnOff: sym.value / INSN_SIZE, slots: sym.size / INSN_SIZE, insns, relos: new Map(), isSubprog, coreFailures: new Map() });
    table.set(sec.index, list);
  }
  for (const list of table.values()) {
    list.sort((a, b) => a.secInsnOff - b.secInsnOff);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!, cur = list[i]!;
      if (prev.secInsnOff + prev.slots > cur.secInsnOff) {
        throw new LoaderError(`sec '${cur.section.name}': functions '${prev.name}' and '${cur.name}' overlap`, { section: cur.section.name, symbol: cur.name });
      }
    }
  }
  return table;
}

/** find_prog_by_sec_insn(): the function of section `secIdx` containing slot `slot`. */
export function funcAt(table: FuncTable, secIdx: number, slot: number): Func | undefined {
  const list = table.get(secIdx);
  if (list === undefined) return undefined;
  let lo = 0, hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = list[mid]!;
    if (slot < f.secInsnOff) hi = mid - 1;
    else if (slot >= f.secInsnOff + f.slots) lo = mid + 1;
    else return f;
  }
  return undefined;
}

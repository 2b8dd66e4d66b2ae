/**
 * Relocations of the code sections, turned into libbpf's per-instruction descriptors
 * (bpf_object__collect_prog_relos() and bpf_program__record_reloc()): calls to subprograms,
 * callback addresses, map and global-data addresses, and extern uses. Nothing is patched here;
 * link.ts resolves calls and turns the rest into typed references. Works in node / browser.
 */
import type { ElfFile, ElfSection } from '../elf/index.ts';
import { R_BPF_64_32, R_BPF_64_64, R_BPF_NONE, SHN_LORESERVE, SHN_UNDEF, STT_FUNC, STT_SECTION } from '../elf/index.ts';
import { BPF_CALL, BPF_JMP, BPF_LD_IMM64, BPF_PSEUDO_CALL, INSN_SIZE } from '../isa/index.ts';
import { dataKind, isExternSymbol } from './data.ts';
import { LoaderError } from './errors.ts';
import type { DeclaredMap } from './maps.ts';
import { funcAt, isCodeSection, type FuncTable, type RawRelo } from './programs.ts';

/** What relocations can point at, besides code. */
export interface RelocTargets {
  /** Maps declared in `.maps` / `maps`. */
  readonly declaredMaps: readonly DeclaredMap[];
  /** Spec name of the global-data map of each data section, by section index. */
  readonly dataMapBySection: ReadonlyMap<number, string>;
  /** Names of the externs (all extern symbols have one). */
  readonly externs: ReadonlySet<string>;
  /** Index of `.text`, or undefined. */
  readonly textIndex: number | undefined;
}

/**
 * Attaches every relocation of every code section to the function it falls in.
 * @throws {LoaderError} naming the program, the instruction and the symbol, for relocations of an
 * unsupported type, at a bad offset, against a missing symbol, on an instruction that cannot
 * take one, or against something that is neither code, a map, global data nor an extern.
 */
export function collectProgRelos(elf: ElfFile, funcs: FuncTable, targets: RelocTargets): void {
  for (const section of elf.sections) {
    if (!isCodeSection(section)) continue;
    for (const rel of elf.relocations(section)) {
      const sym = rel.symbol;
      const symName = sym.type === STT_SECTION && sym.name === '' ? (sym.section?.name ?? '') : sym.name;
      const where = { section: section.name, symbol: symName || '<?>' };
      if (rel.offset % INSN_SIZE !== 0 || rel.offset >= section.size) {
        throw new LoaderError(`sec '${section.name}': invalid offset 0x${rel.offset.toString(16)} for relo against '${symName}'`, where);
      }
      const secSlot = rel.offset / INSN_SIZE;
      const fn = funcAt(funcs, section.index, secSlot);
      // libbpf skips relocations that fall outside every function (an overridden weak function).
      if (fn === undefined) continue;
      const slot = secSlot - fn.secInsnOff;
      const insn = fn.insns.find((i) => i.idx === slot);
      const at = { ...where, prog: fn.name, insnIdx: slot };
      if (rel.type === R_BPF_NONE) continue;
      if (rel.type !== R_BPF_64_64 && rel.type !== R_BPF_64_32) {
        throw new LoaderError(`prog '${fn.name}': unsupported relocation type ${rel.type} against '${symName}' at insn ${slot}`, at);
      }
      if (sym.index === 0) throw new LoaderError(`prog '${fn.name}': relocation at insn ${slot} refers to the null symbol`, at);
      if (insn === undefined) throw new LoaderError(`prog '${fn.name}': relocation against '${symName}' points into the middle of insn ${slot - 1}`, at);
      const isCall = insn.code === (BPF_JMP | BPF_CALL);
      const isLd = insn.code === BPF_LD_IMM64;
      if (!isCall && !isLd) {
        throw new LoaderError(`prog '${fn.name}': invalid relo against '${symName}' for insns[${slot}].code 0x${insn.code.toString(16)}`, at);
      }
      fn.relos.set(slot, recordReloc(fn.name, slot, symName, sym, isCall, insn.src, insn.imm, targets));
    }
  }
}

function recordReloc(
  prog: string, slot: number, symName: string,
  sym: { index: number; shndx: number; value: number; type: number; bind: number; section?: ElfSection },
  isCall: boolean, src: number, imm: number, targets: RelocTargets,
): RawRelo {
  const at = { prog, insnIdx: slot, symbol: symName };
  if (isExternSymbol(sym)) {
    if (!targets.externs.has(symName)) throw new LoaderError(`prog '${prog}': extern relo failed to find extern for '${symName}' (${sym.index})`, at);
    return { type: isCall ? 'externCall' : 'externLd', extern: symName, symbol: symName };
  }
  if (isCall) {
    if (src !== BPF_PSEUDO_CALL) throw new LoaderError(`prog '${prog}': incorrect bpf_call opcode at insn ${slot} (relocation against '${symName}')`, at);
    if (sym.shndx === SHN_UNDEF) throw new LoaderError(`prog '${prog}': call at insn ${slot} to undefined symbol '${symName}'`, at);
    if (sym.shndx !== targets.textIndex) {
      throw new LoaderError(`prog '${prog}': bad call relo against '${symName}' in section '${sym.section?.name ?? sym.shndx}'`, at);
    }
    if (sym.value % INSN_SIZE !== 0) throw new LoaderError(`prog '${prog}': bad call relo against '${symName}' at offset ${sym.value}`, at);
    return { type: 'call', symOff: sym.value, symbol: symName };
  }
  if (sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE) {
    throw new LoaderError(`prog '${prog}': invalid relo against '${symName}' in special section 0x${sym.shndx.toString(16)}; forgot to initialize global var?..`, at);
  }
  const sec = sym.section;
  if (sec !== undefined && isCodeSection(sec) && (sym.type === STT_FUNC || sym.type === STT_SECTION) && sym.shndx === targets.textIndex) {
    if (sym.value % INSN_SIZE !== 0 || imm % INSN_SIZE !== 0) {
      throw new LoaderError(`prog '${prog}': bad subprog addr relo against '${symName}' at offset ${sym.value}+${imm}`, at);
    }
    return { type: 'subprogAddr', symOff: sym.value, symbol: symName };
  }
  const map = targets.declaredMaps.find((m) => m.section.index === sym.shndx && m.offset === sym.value);
  if (sec !== undefined && targets.declaredMaps.some((m) => m.section.index === sec.index)) {
    if (map === undefined) throw new LoaderError(`prog '${prog}': map relo failed to find map for section '${sec.name}', off ${sym.value}`, at);
    return { type: 'map', map: map.spec.name, symbol: symName };
  }
  const dataMap = targets.dataMapBySection.get(sym.shndx);
  if (dataMap !== undefined) return { type: 'data', map: dataMap, symOff: sym.value, symbol: symName };
  const secName = sec?.name ?? String(sym.shndx);
  if (sec !== undefined && (sec.name === '.maps' || sec.name === 'maps')) {
    throw new LoaderError(`prog '${prog}': map relo failed to find map for section '${secName}', off ${sym.value}`, at);
  }
  if (sec !== undefined && dataKind(sec) === undefined && /^\.(data|rodata|bss)/.test(sec.name)) {
    throw new LoaderError(`prog '${prog}': data relo failed to find map for section '${secName}'`, at);
  }
  throw new LoaderError(`prog '${prog}': bad data relo against section '${secName}' (symbol '${symName}')`, at);
}

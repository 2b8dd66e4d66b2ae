/**
 * Global data and externs: `.data`, `.rodata`, `.bss`, `.data.*`, `.rodata.*` as single-entry
 * array maps holding the section's bytes (libbpf's bpf_object__init_global_data_maps()), the
 * variables inside them, and `.kconfig`/`.ksyms` externs (bpf_object__collect_externs()) with
 * the `.kconfig` map laid out as libbpf lays it out. Works in node / browser.
 */
import type { Btf, BtfType } from '../btf/index.ts';
import { EMPTY_RECORD, findSpecialFields } from '../btf/index.ts';
import type { ElfFile, ElfSection } from '../elf/index.ts';
import { SHN_UNDEF, SHT_NOBITS, SHT_PROGBITS, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_NOTYPE, STT_OBJECT } from '../elf/index.ts';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY, BPF_OBJ_NAME_LEN } from '../uapi/bpf.ts';
import { EOPNOTSUPP, ESRCH } from '../uapi/errno.ts';
import { LoaderError } from './errors.ts';
import type { ExternSpec, KconfigSlot, MapSpec, VariableSpec } from './spec.ts';

/** What kind of global data a section holds (libbpf's enum libbpf_map_type). */
export type DataKind = 'data' | 'rodata' | 'bss';

/** The global-data kind of a section, or undefined if it is not one (empty sections are skipped too). */
export function dataKind(s: ElfSection): DataKind | undefined {
  const is = (base: string): boolean => s.name === base || s.name.startsWith(base + '.');
  if (s.type === SHT_PROGBITS && s.size > 0 && (s.flags & 0x4n) === 0n) {
    if (is('.data')) return 'data';
    if (is('.rodata')) return 'rodata';
  }
  if (s.type === SHT_NOBITS && s.size > 0 && is('.bss')) return 'bss';
  return undefined;
}

/**
 * The name libbpf gives the kernel for an internal map (internal_map_name()): a prefix of the
 * object name plus the section name within BPF_OBJ_NAME_LEN - 1 characters (`loader_m.bss`);
 * custom sections with a second dot (`.data.custom`) keep just their own name. Characters the
 * kernel refuses become '_'. The spec keeps the section name; this is what `bpftool map` shows.
 */
export function kernelMapName(objectName: string, sectionName: string): string {
  const max = BPF_OBJ_NAME_LEN - 1;
  const sfxLen = Math.min(Math.max(7, sectionName.length), max);
  const pfxLen = sectionName.indexOf('.', 1) !== -1 ? 0 : Math.min(BPF_OBJ_NAME_LEN - sfxLen - 1, objectName.length);
  const raw = (objectName.slice(0, pfxLen) + sectionName.slice(0, sfxLen)).slice(0, max);
  return raw.replace(/[^A-Za-z0-9_.]/g, '_');
}

/** libbpf's object name: the file's base name up to its first '.' (`loader_maps.bpf.o` → `loader_maps`). */
export function objectNameOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot === -1 ? base : base.slice(0, dot);
}

/** map_is_mmapable(): libbpf adds BPF_F_MMAPABLE when the DATASEC has a non-static variable. */
function isMmapable(btf: Btf | undefined, datasec: BtfType | undefined): boolean {
  if (btf === undefined || datasec === undefined || datasec.kind !== 'datasec') return false;
  return datasec.vars.some((v) => {
    const t = btf.typeById(v.type);
    return t.kind === 'var' && t.linkage !== 'static';
  });
}

/** A global-data map and the variables in it. */
export interface DataMap {
  readonly spec: MapSpec;
  readonly section: ElfSection;
  readonly variables: VariableSpec[];
}

/** One map per global-data section, in section order. */
export function collectDataMaps(elf: ElfFile, btf: Btf | undefined): DataMap[] {
  const out: DataMap[] = [];
  for (const s of elf.sections) {
    const kind = dataKind(s);
    if (kind === undefined) continue;
    const datasec = btf?.typeByName(s.name, 'datasec');
    let flags = kind === 'rodata' ? BPF_F_RDONLY_PROG : 0;
    if (isMmapable(btf, datasec)) flags |= BPF_F_MMAPABLE;
    const contents = new Uint8Array(s.size);
    if (kind !== 'bss') contents.set(s.data.subarray(0, s.size));
    const spec: MapSpec = {
      name: s.name, type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: s.size, maxEntries: 1, flags, numaNode: 0, pinning: 0,
      mapExtra: 0n, record: EMPTY_RECORD, contents, kind: 'data', sectionName: s.name,
    };
    if (btf !== undefined && datasec !== undefined) {
      spec.valueTypeId = datasec.id;
      spec.record = findSpecialFields(btf, datasec.id, { valueSize: s.size });
    }
    out.push({ spec, section: s, variables: variablesOf(elf, btf, s, datasec) });
  }
  return out;
}

function variablesOf(elf: ElfFile, btf: Btf | undefined, s: ElfSection, datasec: BtfType | undefined): VariableSpec[] {
  if (btf !== undefined && datasec?.kind === 'datasec') {
    return datasec.vars.flatMap((vi): VariableSpec[] => {
      const v = btf.typeById(vi.type);
      if (v.kind !== 'var') return [];
      return [{ name: v.name, map: s.name, offset: vi.offset, size: vi.size, typeId: v.type, linkage: v.linkage }];
    });
  }
  return elf.symbols
    .filter((sym) => sym.shndx === s.index && sym.type === STT_OBJECT && sym.name !== '')
    .map((sym) => ({ name: sym.name, map: s.name, offset: sym.value, size: sym.size, linkage: sym.bind === STB_LOCAL ? 'static' : 'global' }));
}

/** sym_is_extern(): an undefined GLOBAL or WEAK symbol of type NOTYPE. */
export function isExternSymbol(sym: { shndx: number; bind: number; type: number }): boolean {
  return sym.shndx === SHN_UNDEF && (sym.bind === STB_GLOBAL || sym.bind === STB_WEAK) && sym.type === STT_NOTYPE;
}

/** find_kcfg_type(): how a kconfig value of this BTF type is stored. */
function kcfgType(btf: Btf, id: number): { type: KconfigSlot['type']; signed: boolean } | undefined {
  const t = btf.resolve(id);
  switch (t.kind) {
    case 'int':
      if (t.bool) return t.size === 1 ? { type: 'bool', signed: false } : undefined;
      if (t.size === 1) return { type: 'char', signed: t.signed };
      if (t.size < 1 || t.size > 8 || (t.size & (t.size - 1)) !== 0) return undefined;
      return { type: 'int', signed: t.signed };
    case 'enum': case 'enum64':
      return t.name === 'libbpf_tristate' && (t.kind === 'enum64' || t.size === 4) ? { type: 'tristate', signed: false } : undefined;
    case 'array':
      return t.nelems !== 0 && kcfgType(btf, t.type)?.type === 'char' ? { type: 'char_array', signed: false } : undefined;
    default:
      return undefined;
  }
}

/** The externs and, when any is `__kconfig`, the `.kconfig` map. */
export interface Externs {
  readonly externs: Map<string, ExternSpec>;
  readonly kconfigMap?: MapSpec;
  readonly kconfigVars: VariableSpec[];
}

/** The `.kconfig` map's spec name. */
export const KCONFIG_MAP = '.kconfig';

/**
 * bpf_object__collect_externs(): every extern symbol, typed through BTF, sorted and laid out as
 * libbpf does (kconfig by descending alignment, then ascending size, then name).
 * @throws {LoaderError} ESRCH when an extern has no BTF, EOPNOTSUPP for an extern outside
 * `.kconfig`/`.ksyms` or of a kconfig type libbpf cannot fill.
 */
export function collectExterns(elf: ElfFile, btf: Btf | undefined): Externs {
  const syms = elf.symbols.filter(isExternSymbol);
  const externs = new Map<string, ExternSpec>();
  if (syms.length === 0) return { externs, kconfigVars: [] };
  const datasecs = btf === undefined ? [] : btf.types.filter((t) => t.kind === 'datasec');
  type Kcfg = { name: string; weak: boolean; typeId: number; size: number; align: number; kt: { type: KconfigSlot['type']; signed: boolean } };
  const kcfg: Kcfg[] = [];
  for (const sym of syms) {
    const where = { symbol: sym.name };
    const t = btf?.typesByName(sym.name).find((x) => (x.kind === 'var' || x.kind === 'func') && x.linkage === 'extern');
    if (btf === undefined || t === undefined) throw new LoaderError(`failed to find BTF for extern '${sym.name}'`, where, ESRCH);
    const sec = datasecs.find((d) => d.kind === 'datasec' && d.vars.some((v) => v.type === t.id));
    const weak = sym.bind === STB_WEAK;
    if (sec?.name === KCONFIG_MAP && t.kind === 'var') {
      const kt = kcfgType(btf, t.type);
      if (kt === undefined) throw new LoaderError(`extern (kcfg) '${sym.name}': type is unsupported`, where, EOPNOTSUPP);
      kcfg.push({ name: sym.name, weak, typeId: t.id, size: btf.sizeof(t.type), align: btf.alignof(t.type), kt });
    } else if (sec?.name === '.ksyms') {
      externs.set(sym.name, { name: sym.name, kind: t.kind === 'func' ? 'kfunc' : 'ksym', weak, typeId: t.id });
    } else {
      throw new LoaderError(`extern '${sym.name}': unrecognized extern section '${sec?.name ?? '<none>'}'`, where, EOPNOTSUPP);
    }
  }
  if (kcfg.length === 0) return { externs, kconfigVars: [] };
  kcfg.sort((a, b) => (b.align - a.align) || (a.size - b.size) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let off = 0;
  const kconfigVars: VariableSpec[] = [];
  const placed: ExternSpec[] = kcfg.map((k) => {
    off = Math.ceil(off / k.align) * k.align;
    const slot: KconfigSlot = { offset: off, size: k.size, align: k.align, type: k.kt.type, signed: k.kt.signed };
    kconfigVars.push({ name: k.name, map: KCONFIG_MAP, offset: off, size: k.size, typeId: k.typeId, linkage: 'extern' });
    off += k.size;
    return { name: k.name, kind: 'kconfig', weak: k.weak, typeId: k.typeId, kconfig: slot };
  });
  // Kconfig externs come first, as libbpf's sort by extern type puts them.
  const all = new Map<string, ExternSpec>();
  for (const e of placed) all.set(e.name, e);
  for (const [n, e] of externs) all.set(n, e);
  const datasec = btf?.typeByName(KCONFIG_MAP, 'datasec');
  const kconfigMap: MapSpec = {
    name: KCONFIG_MAP, type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: off, maxEntries: 1,
    flags: BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, numaNode: 0, pinning: 0, mapExtra: 0n, record: EMPTY_RECORD,
    contents: new Uint8Array(off), kind: 'kconfig', sectionName: KCONFIG_MAP,
    ...(datasec !== undefined ? { valueTypeId: datasec.id } : {}),
  };
  return { externs: all, kconfigMap, kconfigVars };
}

/**
 * loadCollectionSpec(): an object file's bytes → CollectionSpec, the way libbpf's
 * bpf_object__open() reads an object (elf_collect, init maps, collect externs and relocations,
 * CO-RE) plus the linking libbpf does at load (bpf_object__relocate), since that is pure
 * data too. No side effects. Works in node / browser.
 */
import { parseBtf, parseBtfExt } from '../btf/index.ts';
import { EM_BPF, ET_REL, parseElf, type ElfFile } from '../elf/index.ts';
import { BPF_PROG_TYPE_UNSPEC } from '../uapi/bpf.ts';
import { ENOENT } from '../uapi/errno.ts';
import { ByteReader } from '../util/bytes.ts';
import { isBpfError } from '../util/errors.ts';
import { fixupDatasecs } from './btf-fixup.ts';
import { applyCoreRelos } from './core-relo.ts';
import { collectDataMaps, collectExterns } from './data.ts';
import { LoaderError } from './errors.ts';
import { linkProgram } from './link.ts';
import { collectMapSlots, parseBtfMaps, parseLegacyMaps, type DeclaredMap } from './maps.ts';
import { collectFunctions } from './programs.ts';
import { collectProgRelos } from './relocate.ts';
import { findSectionDef } from './sections.ts';
import type { CollectionSpec, MapSpec, ProgramSpec, VariableSpec } from './spec.ts';

/**
 * Parses a clang-compiled BPF object into an editable spec: programs with their subprograms
 * linked and relocations as typed references, maps (`.maps`, legacy `maps`, global data,
 * `.kconfig`), global variables, externs, license, BTF.
 *
 * Programs in sections libbpf does not know get type BPF_PROG_TYPE_UNSPEC, as libbpf leaves them;
 * `checkLoadable` (and so the runtime's load) refuses them.
 *
 * @throws {ElfError} EINVAL for malformed ELF.
 * @throws {BtfError} EINVAL for malformed `.BTF` / `.BTF.ext`.
 * @throws {LoaderError} EINVAL, ENOENT, ESRCH or EOPNOTSUPP for what libbpf's open refuses: a
 * relocation against a missing symbol, an unsupported relocation, a call to no function, a
 * malformed map definition; the error names the program, instruction, symbol or map.
 * Works in node / browser.
 */
export function loadCollectionSpec(bytes: Uint8Array): CollectionSpec {
  const elf = parseElf(bytes);
  if (elf.header.machine !== EM_BPF || elf.header.type !== ET_REL) {
    throw new LoaderError(`not a BPF object file: e_machine ${elf.header.machine}, e_type ${elf.header.type} (want EM_BPF ${EM_BPF}, ET_REL)`);
  }
  if (elf.symtab === undefined) throw new LoaderError('elf: failed to find symbol table (.symtab)', {}, ENOENT);

  const btfSec = elf.sectionByName('.BTF');
  const btf = btfSec === undefined ? undefined : fixupDatasecs(elf, parseBtf(btfSec.data));
  const extSec = elf.sectionByName('.BTF.ext');
  const btfExt = btf === undefined || extSec === undefined ? undefined : parseBtfExt(extSec.data, btf);

  const license = readLicense(elf);
  const kernelVersion = readVersion(elf);

  const funcs = collectFunctions(elf);
  const textIndex = elf.sectionByName('.text')?.index;

  // Maps in libbpf's order: .maps (DATASEC order), legacy maps, global data, .kconfig.
  const declared: DeclaredMap[] = [];
  const btfMapsSec = elf.sectionByName('.maps');
  if (btfMapsSec !== undefined) declared.push(...parseBtfMaps(btf, btfMapsSec));
  const legacySec = elf.sectionByName('maps');
  if (legacySec !== undefined) declared.push(...parseLegacyMaps(elf, legacySec));
  const dataMaps = collectDataMaps(elf, btf);
  const ext = collectExterns(elf, btf);

  const maps = new Map<string, MapSpec>();
  const addMap = (m: MapSpec): void => {
    if (maps.has(m.name)) throw new LoaderError(`map '${m.name}' is defined twice`, { map: m.name });
    maps.set(m.name, m);
  };
  for (const d of declared) addMap(d.spec);
  for (const d of dataMaps) addMap(d.spec);
  if (ext.kconfigMap !== undefined) addMap(ext.kconfigMap);

  if (btf !== undefined && btfMapsSec !== undefined) collectMapSlots(elf, btf, declared.filter((d) => d.section === btfMapsSec), funcs);

  collectProgRelos(elf, funcs, {
    declaredMaps: declared,
    dataMapBySection: new Map(dataMaps.map((d) => [d.section.index, d.spec.name])),
    externs: new Set(ext.externs.keys()),
    textIndex,
  });
  if (btf !== undefined && btfExt !== undefined) applyCoreRelos(elf, btf, btfExt, funcs);

  const programs = new Map<string, ProgramSpec>();
  for (const [secIdx, list] of funcs) {
    if (secIdx === textIndex) continue;
    for (const fn of list) {
      const info = findSectionDef(fn.section.name);
      let linked;
      try {
        linked = linkProgram(fn, funcs, textIndex, ext.externs, btfExt);
      } catch (e) {
        if (isBpfError(e) && !(e instanceof LoaderError)) throw new LoaderError(`prog '${fn.name}': ${e.message}`, { prog: fn.name, section: fn.section.name });
        throw e;
      }
      programs.set(fn.name, {
        name: fn.name,
        sectionName: fn.section.name,
        type: info?.def.progType ?? BPF_PROG_TYPE_UNSPEC,
        expectedAttachType: info?.def.expectedAttachType ?? 0,
        ...(info?.attachTo !== undefined ? { attachTo: info.attachTo } : {}),
        sleepable: info?.sleepable ?? false,
        xdpFrags: info?.xdpFrags ?? false,
        ...linked,
        license,
      });
    }
  }

  const variables = new Map<string, VariableSpec>();
  for (const v of [...dataMaps.flatMap((d) => d.variables), ...ext.kconfigVars]) {
    // Static variables of the same name in different sections: the first keeps the plain name.
    if (!variables.has(v.name)) variables.set(v.name, v);
  }

  return {
    programs, maps, license, variables, externs: ext.externs,
    ...(kernelVersion !== undefined ? { kernelVersion } : {}),
    ...(btf !== undefined ? { btf } : {}),
    ...(btfExt !== undefined ? { btfExt } : {}),
  };
}

/** The `license` section: a NUL-terminated string (libbpf copies at most 64 bytes of it). */
function readLicense(elf: ElfFile): string {
  const s = elf.sectionByName('license');
  if (s === undefined) return '';
  const end = s.data.indexOf(0);
  return new TextDecoder().decode(s.data.subarray(0, end === -1 ? s.data.length : end));
}

/** The `version` section: one u32. */
function readVersion(elf: ElfFile): number | undefined {
  const s = elf.sectionByName('version');
  if (s === undefined) return undefined;
  if (s.data.length !== 4) throw new LoaderError(`invalid kver section in object: ${s.data.length} bytes, want 4`, { section: 'version' });
  return new ByteReader(s.data, (m) => new LoaderError(m, { section: 'version' })).u32(0);
}

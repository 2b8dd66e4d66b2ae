/**
 * Map definitions: BTF-defined maps of `.maps` (libbpf's bpf_object__init_user_btf_maps() and
 * parse_btf_map_def()), their `.values` initial slots (bpf_object__collect_map_relos()), and the
 * legacy `SEC("maps")` records of `struct bpf_map_def` (read as cilium/ebpf and aya still do;
 * libbpf 1.x refuses them). Works in node / browser.
 */
import type { Btf, BtfType, StructType } from '../btf/index.ts';
import { EMPTY_RECORD, findSpecialFields } from '../btf/index.ts';
import type { ElfFile, ElfSection } from '../elf/index.ts';
import { SHN_UNDEF, STT_FUNC, STT_SECTION } from '../elf/index.ts';
import { BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_UNSPEC } from '../uapi/bpf.ts';
import { ENOENT, EOPNOTSUPP, ESRCH } from '../uapi/errno.ts';
import { ByteReader } from '../util/bytes.ts';
import { LoaderError } from './errors.ts';
import type { FuncTable } from './programs.ts';
import type { MapSpec } from './spec.ts';

/** LIBBPF_PIN_NONE and LIBBPF_PIN_BY_NAME, the only pinning values libbpf accepts. */
export const LIBBPF_PIN_NONE = 0;
export const LIBBPF_PIN_BY_NAME = 1;

/** A map declared in `.maps` or `maps`, with where its symbol sits (for relocations). */
export interface DeclaredMap {
  readonly spec: MapSpec;
  readonly section: ElfSection;
  /** Byte offset of the definition in its section (the symbol's value). */
  readonly offset: number;
  readonly size: number;
}

function isMapInMap(type: number): boolean {
  return type === BPF_MAP_TYPE_ARRAY_OF_MAPS || type === BPF_MAP_TYPE_HASH_OF_MAPS;
}

/** A fresh spec with libbpf's defaults (everything zero until the definition says otherwise). */
function blankSpec(name: string, kind: MapSpec['kind'], sectionName: string): MapSpec {
  return { name, type: BPF_MAP_TYPE_UNSPEC, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, numaNode: 0, pinning: 0, mapExtra: 0n, record: EMPTY_RECORD, kind, sectionName };
}

function skipMods(btf: Btf, id: number): BtfType {
  return btf.resolve(id);
}

/** get_map_field_int(): `__uint(name, N)` is `int (*name)[N]`, so the value is the array length. */
function fieldInt(btf: Btf, map: string, member: { name: string; type: number }): number {
  const t = skipMods(btf, member.type);
  if (t.kind !== 'ptr') throw new LoaderError(`map '${map}': attr '${member.name}': expected PTR, got ${t.kind}`, { map });
  const arr = btf.typeById(t.type);
  if (arr.kind !== 'array') throw new LoaderError(`map '${map}': attr '${member.name}': expected ARRAY, got ${arr.kind}`, { map });
  return arr.nelems;
}

/** get_map_field_long(): an array length like fieldInt, or `__ulong`'s one-value enum. */
function fieldLong(btf: Btf, map: string, member: { name: string; type: number }): bigint {
  const t = skipMods(btf, member.type);
  if (t.kind === 'ptr') {
    const target = btf.typeById(t.type);
    if ((target.kind === 'enum' || target.kind === 'enum64') && target.values.length === 1) return BigInt.asUintN(64, target.values[0]!.value);
  }
  return BigInt(fieldInt(btf, map, member));
}

/** The size a `key`/`value` pointer member points at, with its type id. */
function pointee(btf: Btf, map: string, what: string, typeId: number): { size: number; typeId: number } {
  const t = btf.typeById(typeId);
  if (t.kind !== 'ptr') throw new LoaderError(`map '${map}': ${what} spec is not PTR: ${t.kind}`, { map });
  if (!btf.hasSize(t.type)) throw new LoaderError(`map '${map}': can't determine ${what} size for type [${t.type}]`, { map });
  return { size: btf.sizeof(t.type), typeId: t.type };
}

/**
 * parse_btf_map_def(): fills `spec` from the members of the definition struct. `inner` is the
 * template for `values` of a map-in-map (undefined when parsing an inner definition).
 */
function parseBtfMapDef(btf: Btf, spec: MapSpec, def: StructType, allowInner: boolean): void {
  const map = spec.name;
  const fail = (msg: string, errno?: number): LoaderError => new LoaderError(`map '${map}': ${msg}`, { map }, errno);
  const setSize = (what: 'key' | 'value', size: number): void => {
    const cur = what === 'key' ? spec.keySize : spec.valueSize;
    if (cur !== 0 && cur !== size) throw fail(`conflicting ${what} size ${cur} != ${size}`);
    if (what === 'key') spec.keySize = size;
    else spec.valueSize = size;
  };
  def.members.forEach((m, i) => {
    switch (m.name) {
      case 'type': spec.type = fieldInt(btf, map, m); break;
      case 'max_entries': spec.maxEntries = fieldInt(btf, map, m); break;
      case 'map_flags': spec.flags = fieldInt(btf, map, m); break;
      case 'numa_node': spec.numaNode = fieldInt(btf, map, m); break;
      case 'key_size': setSize('key', fieldInt(btf, map, m)); break;
      case 'value_size': setSize('value', fieldInt(btf, map, m)); break;
      case 'key': { const p = pointee(btf, map, 'key', m.type); setSize('key', p.size); spec.keyTypeId = p.typeId; break; }
      case 'value': { const p = pointee(btf, map, 'value', m.type); setSize('value', p.size); spec.valueTypeId = p.typeId; break; }
      case 'values': {
        const inMap = isMapInMap(spec.type), progArray = spec.type === BPF_MAP_TYPE_PROG_ARRAY;
        const desc = inMap ? 'map-in-map inner' : 'prog-array value';
        if (!allowInner) throw fail('multi-level inner maps not supported', EOPNOTSUPP);
        if (i !== def.members.length - 1) throw fail(`'values' member should be last`);
        if (!inMap && !progArray) throw fail('should be map-in-map or prog-array', EOPNOTSUPP);
        if (spec.valueSize !== 0 && spec.valueSize !== 4) throw fail(`conflicting value size ${spec.valueSize} != 4`);
        spec.valueSize = 4;
        const arr = btf.typeById(m.type);
        if (arr.kind !== 'array' || arr.nelems !== 0) throw fail(`${desc} spec is not a zero-sized array`);
        const ptr = skipMods(btf, arr.type);
        if (ptr.kind !== 'ptr') throw fail(`${desc} def is of unexpected kind ${ptr.kind}`);
        const target = skipMods(btf, ptr.type);
        if (progArray) {
          if (target.kind !== 'func_proto') throw fail(`prog-array value def is of unexpected kind ${target.kind}`);
          break;
        }
        if (target.kind !== 'struct') throw fail(`map-in-map inner def is of unexpected kind ${target.kind}`);
        const inner = blankSpec(`${map}.inner`, spec.kind, spec.sectionName);
        parseBtfMapDef(btf, inner, target, false);
        inner.record = recordOf(btf, inner);
        spec.innerMap = inner;
        break;
      }
      case 'pinning': {
        if (!allowInner) throw fail(`inner def can't be pinned`);
        const v = fieldInt(btf, map, m);
        if (v !== LIBBPF_PIN_NONE && v !== LIBBPF_PIN_BY_NAME) throw fail(`invalid pinning value ${v}`);
        spec.pinning = v;
        break;
      }
      case 'map_extra': spec.mapExtra = fieldLong(btf, map, m); break;
      default:
        // libbpf 1.0+ is strict: an unknown field is an error, not a silent skip.
        throw fail(`unknown field '${m.name}'`, EOPNOTSUPP);
    }
  });
  if (spec.type === BPF_MAP_TYPE_UNSPEC) throw fail(`map type isn't specified`);
}

/** The value's special fields, when the value has a BTF type. */
export function recordOf(btf: Btf | undefined, spec: MapSpec): MapSpec['record'] {
  if (btf === undefined || spec.valueTypeId === undefined) return EMPTY_RECORD;
  return findSpecialFields(btf, spec.valueTypeId, { valueSize: spec.valueSize });
}

/**
 * The maps of `.maps`, in DATASEC order.
 * @throws {LoaderError} ENOENT without BTF or without the `.maps` DATASEC; EINVAL or EOPNOTSUPP for
 * malformed definitions (libbpf's messages, naming the map).
 */
export function parseBtfMaps(btf: Btf | undefined, section: ElfSection): DeclaredMap[] {
  if (btf === undefined) throw new LoaderError('BTF is required, but is missing or corrupted', { section: section.name }, ENOENT);
  const sec = btf.typeByName('.maps', 'datasec');
  if (sec === undefined || sec.kind !== 'datasec') throw new LoaderError(`DATASEC '.maps' not found`, { section: section.name }, ENOENT);
  const out: DeclaredMap[] = [];
  sec.vars.forEach((vi, idx) => {
    const v = btf.typeById(vi.type);
    const name = v.name;
    if (name === '') throw new LoaderError(`map #${idx}: empty name`, { section: '.maps' });
    const where = { map: name, section: '.maps' };
    if (vi.offset + vi.size > section.size) throw new LoaderError(`map '${name}' BTF data is corrupted`, where);
    if (v.kind !== 'var') throw new LoaderError(`map '${name}': unexpected var kind ${v.kind}`, where);
    if (v.linkage !== 'global') throw new LoaderError(`map '${name}': unsupported map linkage ${v.linkage}`, where, EOPNOTSUPP);
    const def = skipMods(btf, v.type);
    if (def.kind !== 'struct') throw new LoaderError(`map '${name}': unexpected def kind ${def.kind}`, where);
    if (def.size > vi.size) throw new LoaderError(`map '${name}': invalid def size`, where);
    const spec = blankSpec(name, 'btf', '.maps');
    parseBtfMapDef(btf, spec, def, true);
    spec.record = recordOf(btf, spec);
    out.push({ spec, section, offset: vi.offset, size: vi.size });
  });
  return out;
}

/**
 * `.values = { [i] = &x }` initializers: the relocations of `.maps` (collect_map_relos()).
 * @throws {LoaderError} for a slot that is not a map (map-in-map) or an entry-point program (prog array).
 */
export function collectMapSlots(elf: ElfFile, btf: Btf, maps: readonly DeclaredMap[], funcs: FuncTable): void {
  const first = maps[0];
  if (first === undefined) return;
  const section = first.section;
  elf.relocations(section).forEach((rel, i) => {
    const sym = rel.symbol;
    const name = sym.type === STT_SECTION ? (sym.section?.name ?? '') : sym.name;
    const where = { section: '.maps', symbol: name };
    const owner = maps.find((m) => m.offset <= rel.offset && rel.offset + 8 <= m.offset + m.size);
    if (owner === undefined) throw new LoaderError(`.maps relo #${i}: cannot find map '${name}' at rel->r_offset ${rel.offset}`, where);
    const spec = owner.spec;
    let target: string;
    if (isMapInMap(spec.type)) {
      if (sym.shndx !== section.index) throw new LoaderError(`.maps relo #${i}: '${name}' isn't a BTF-defined map`, { ...where, map: spec.name });
      if (spec.type === BPF_MAP_TYPE_HASH_OF_MAPS && spec.keySize !== 4) throw new LoaderError(`.maps relo #${i}: hash-of-maps '${spec.name}' should have key size 4`, { ...where, map: spec.name });
      if (!maps.some((m) => m.spec.name === name)) throw new LoaderError(`.maps relo #${i}: '${name}' isn't a valid map reference`, { ...where, map: spec.name }, ESRCH);
      target = name;
    } else if (spec.type === BPF_MAP_TYPE_PROG_ARRAY) {
      const fn = sym.shndx === SHN_UNDEF ? undefined : (funcs.get(sym.shndx) ?? []).find((f) => f.name === name);
      if (fn === undefined && sym.type !== STT_FUNC) throw new LoaderError(`.maps relo #${i}: '${name}' isn't a valid program reference`, { ...where, map: spec.name }, ESRCH);
      if (fn === undefined || fn.isSubprog || fn.secInsnOff * 8 !== sym.value) throw new LoaderError(`.maps relo #${i}: '${name}' isn't an entry-point program`, { ...where, map: spec.name });
      target = name;
    } else {
      throw new LoaderError(`.maps relo #${i}: map '${spec.name}' of type ${spec.type} cannot have initial values`, { ...where, map: spec.name });
    }
    const moff = slotOffset(btf, spec.name, owner, rel.offset, i);
    const slots = spec.initialSlots ?? [];
    while (slots.length <= moff) slots.push(undefined);
    slots[moff] = target;
    spec.initialSlots = slots;
  });
}

/** Index in `values` of the pointer at byte `relOffset` of `.maps`. */
function slotOffset(btf: Btf, map: string, owner: DeclaredMap, relOffset: number, i: number): number {
  const sec = btf.typeByName('.maps', 'datasec');
  const vi = sec?.kind === 'datasec' ? sec.vars.find((v) => v.offset === owner.offset) : undefined;
  const where = { section: '.maps', map };
  if (vi === undefined) throw new LoaderError(`.maps relo #${i}: no variable of map '${map}'`, where);
  const def = btf.resolve((btf.typeById(vi.type) as { type: number }).type);
  const last = def.kind === 'struct' ? def.members[def.members.length - 1] : undefined;
  if (def.kind !== 'struct' || last === undefined || last.name !== 'values') throw new LoaderError(`.maps relo #${i}: map '${map}' has no 'values' member`, where);
  const start = owner.offset + last.bitOffset / 8;
  if (relOffset < start || (relOffset - start) % 8 !== 0) throw new LoaderError(`.maps relo #${i}: offset ${relOffset} is not a 'values' slot of map '${map}'`, where);
  return (relOffset - start) / 8;
}

/** Size of libbpf's original struct bpf_map_def: type, key_size, value_size, max_entries, map_flags. */
const LEGACY_DEF_SIZE = 20;

/**
 * The legacy `maps` section: one struct bpf_map_def per symbol.
 * @throws {LoaderError} EINVAL for a record shorter than 20 bytes or with non-zero unknown fields.
 */
export function parseLegacyMaps(elf: ElfFile, section: ElfSection): DeclaredMap[] {
  const syms = elf.symbols
    .filter((s) => s.shndx === section.index && s.type !== STT_SECTION && s.name !== '')
    .slice()
    .sort((a, b) => a.value - b.value);
  const r = new ByteReader(section.data, (m) => new LoaderError(`maps: ${m}`, { section: section.name }));
  return syms.map((sym) => {
    const where = { section: section.name, map: sym.name, symbol: sym.name };
    const size = sym.size;
    if (size < LEGACY_DEF_SIZE || sym.value + size > section.data.length) {
      throw new LoaderError(`map '${sym.name}': legacy definition of ${size} bytes at offset ${sym.value} does not fit struct bpf_map_def (${LEGACY_DEF_SIZE} bytes)`, where);
    }
    for (let b = LEGACY_DEF_SIZE; b < size; b++) {
      if (section.data[sym.value + b] !== 0) throw new LoaderError(`map '${sym.name}': unrecognized non-zero bytes past struct bpf_map_def at offset ${b}`, where);
    }
    const spec = blankSpec(sym.name, 'legacy', section.name);
    spec.type = r.u32(sym.value);
    spec.keySize = r.u32(sym.value + 4);
    spec.valueSize = r.u32(sym.value + 8);
    spec.maxEntries = r.u32(sym.value + 12);
    spec.flags = r.u32(sym.value + 16);
    return { spec, section, offset: sym.value, size };
  });
}

/**
 * The verifier's view of a loaded program: what bpf_object__load hands to BPF_PROG_LOAD once the
 * maps exist. Maps are described as the kernel created them (with or without BTF, their special
 * fields, the inner-map template of map-in-map), ld_imm64 references resolve to those maps through
 * the loader's typed references, and the instructions are what libbpf would have patched: an
 * unresolved `__weak` ksym becomes the constant 0, an instruction whose CO-RE relocation failed
 * becomes libbpf's poisoned call. Works in node / browser.
 */
import type { Btf } from '../btf/index.ts';
import { BPF_CALL, BPF_JMP, BPF_LD_IMM64, type Insn } from '../isa/index.ts';
import { POISON_CALL_IMM } from '../loader/core-relo.ts';
import type { MapSpec, ProgramSpec, Reference } from '../loader/spec.ts';
import type { BpfMap } from '../maps/map.ts';
import { ArrayOfMapsMap, HashOfMapsMap } from '../maps/map-in-map.ts';
import { isDevmapType } from '../maps/devmap.ts';
import {
  BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_CGROUP_ARRAY, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_DEVMAP,
  BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_QUEUE,
  BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_SOCKHASH, BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_STACK_TRACE,
  BPF_MAP_TYPE_XSKMAP,
} from '../uapi/bpf.ts';
import { ENOENT } from '../uapi/errno.ts';
import { BpfError } from '../util/errors.ts';
import type { MapRef, VerifierFuncInfo, VerifierMap, VerifierProgram } from '../verifier/index.ts';

/** Map types libbpf creates without BTF whatever the definition says (bpf_object__create_map). */
const CREATED_WITHOUT_BTF: ReadonlySet<number> = new Set([
  BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_CGROUP_ARRAY, BPF_MAP_TYPE_STACK_TRACE, BPF_MAP_TYPE_ARRAY_OF_MAPS,
  BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_XSKMAP,
  BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_SOCKHASH, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_RINGBUF,
]);

/**
 * Whether libbpf passes BTF key/value type ids when it creates this map: the definition names
 * types (`__type(key, ..)`, global data's DATASEC) and the map type is not one libbpf strips.
 * A creation that failed with BTF and was retried without it is the caller's to account for.
 */
export function specCreatedWithBtf(spec: Pick<MapSpec, 'type' | 'keyTypeId' | 'valueTypeId'>): boolean {
  if (CREATED_WITHOUT_BTF.has(spec.type)) return false;
  return spec.keyTypeId !== undefined || spec.valueTypeId !== undefined;
}

/**
 * What a program's loads from the map may take as constants: the value of a frozen read-only
 * single-element array (bpf_map_is_rdonly() and array_map_direct_value_addr(): BPF_F_RDONLY_PROG,
 * frozen, one entry), as the kernel reads .rodata and .kconfig at verification.
 */
function frozenValueOf(map: BpfMap): Uint8Array | undefined {
  if (map.type !== BPF_MAP_TYPE_ARRAY || map.maxEntries !== 1 || (map.flags & BPF_F_RDONLY_PROG) === 0 || !map.frozen) return undefined;
  const v = map.lookup(new Uint8Array(4));
  return typeof v === 'number' ? undefined : v;
}

/**
 * The verifier's description of a live map. For map-in-map, the inner template is described from
 * the outer map's metadata (the kernel's inner_map_meta: the template's record and BTF).
 * @param innerHasBtf whether the inner template was created with BTF.
 */
export function verifierMapOf(map: BpfMap, hasBtf: boolean, innerHasBtf = false): VerifierMap {
  const inner = map instanceof ArrayOfMapsMap || map instanceof HashOfMapsMap ? map.meta : undefined;
  let frozen: Uint8Array | undefined;
  return {
    // Read when the verifier runs, after libbpf filled and froze .rodata / .kconfig.
    get frozenValue(): Uint8Array | undefined {
      frozen ??= frozenValueOf(map);
      return frozen;
    },
    name: map.name,
    type: map.type,
    keySize: map.keySize,
    valueSize: map.valueSize,
    maxEntries: map.maxEntries,
    flags: map.flags,
    record: map.record,
    hasBtf,
    ...(inner !== undefined
      ? { innerMap: { name: '', type: inner.type, keySize: inner.keySize, valueSize: inner.valueSize, maxEntries: inner.maxEntries, flags: inner.flags, record: inner.record, hasBtf: innerHasBtf } }
      : {}),
  };
}

/**
 * The verifier's description of a map from its spec alone, as libbpf creates it when creation
 * with BTF succeeds (a failed creation retried without BTF is only known by creating it): for
 * tools and benchmarks that verify without creating maps.
 */
export function verifierMapFromSpec(spec: MapSpec): VerifierMap {
  return {
    name: spec.name.slice(0, 15), type: spec.type, keySize: spec.keySize, valueSize: spec.valueSize,
    // The kernel sets BPF_F_RDONLY_PROG on every devmap it creates (dev_map_init_map).
    maxEntries: spec.maxEntries, flags: spec.flags | (isDevmapType(spec.type) ? BPF_F_RDONLY_PROG : 0), record: spec.record, hasBtf: specCreatedWithBtf(spec),
    ...(spec.innerMap !== undefined ? { innerMap: { ...verifierMapFromSpec(spec.innerMap), name: '' } } : {}),
  };
}

/** libbpf's poisoned instruction (bpf_core_poison_insn): a call to helper 0xbad2310. */
function poisonedCall(idx: number): Insn {
  return { code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: POISON_CALL_IMM, idx };
}

/** The instructions as libbpf sends them, with the reference of each (by position in the result). */
function patchedInsns(spec: ProgramSpec): { insns: Insn[]; refs: (Reference | undefined)[] } {
  const insns: Insn[] = [];
  const refs: (Reference | undefined)[] = [];
  spec.insns.forEach((insn, i) => {
    const ref = spec.references.get(i);
    if (ref?.kind === 'coreFailure') {
      insns.push(poisonedCall(insn.idx));
      refs.push(undefined);
      if (insn.code === BPF_LD_IMM64) { insns.push(poisonedCall(insn.idx + 1)); refs.push(undefined); }
      return;
    }
    if (ref?.kind === 'ksym' && ref.weak) {
      // An unresolved weak ksym is loaded as the plain constant 0 (src_reg stays 0).
      insns.push({ ...insn, src: 0, imm: 0, imm2: 0, imm64: 0n });
      refs.push(undefined);
      return;
    }
    insns.push(insn);
    refs.push(ref);
  });
  return { insns, refs };
}

/** func_info with each function's linkage from the object's BTF (the kernel reads it there). */
function funcInfoOf(spec: ProgramSpec, btf: Btf | undefined): VerifierFuncInfo[] {
  return spec.funcInfo.map(({ insnIdx, typeId }) => {
    const t = btf !== undefined && typeId > 0 ? btf.typeById(typeId) : undefined;
    return t?.kind === 'func' ? { insnIdx, typeId, linkage: t.linkage } : { insnIdx, typeId };
  });
}

/**
 * Builds the VerifierProgram of a linked program.
 * @param maps the object's maps as the verifier sees them, by spec name.
 * @param btf the object's BTF, for the linkage of each function in func_info.
 * @param nrCpus the runtime's CPU count (bounds bpf_get_smp_processor_id(), as nr_cpu_ids does).
 * @throws {BpfError} ENOENT when a reference names a map that does not exist; (BtfError) EINVAL
 * when func_info names a type id the BTF does not have.
 */
export function buildVerifierProgram(spec: ProgramSpec, maps: ReadonlyMap<string, VerifierMap>, btf?: Btf, nrCpus?: number): VerifierProgram {
  const { insns, refs } = patchedInsns(spec);
  const mapNamed = (name: string): VerifierMap => {
    const m = maps.get(name);
    if (m === undefined) throw new BpfError(ENOENT, `program ${spec.name}: map '${name}' does not exist`);
    return m;
  };
  const mapOf = (insnIndex: number): MapRef | undefined => {
    const ref = refs[insnIndex];
    switch (ref?.kind) {
      case 'map': return { map: mapNamed(ref.map) };
      case 'mapValue': case 'kconfig': return { map: mapNamed(ref.map), valueOffset: ref.offset };
      default: return undefined;
    }
  };
  // Resolve every reference now, so a missing map is reported at build time, not mid-verification.
  refs.forEach((_, i) => mapOf(i));
  return {
    name: spec.name,
    insns,
    progType: spec.type,
    expectedAttachType: spec.expectedAttachType,
    license: spec.license,
    sleepable: spec.sleepable,
    // Every map reference of a loaded program goes through mapOf; an ld_imm64 without one names no map.
    maps: [],
    mapOf,
    funcInfo: funcInfoOf(spec, btf),
    ...(btf !== undefined ? { btf } : {}),
    lineInfo: spec.lineInfo,
    ...(nrCpus !== undefined ? { nrCpus } : {}),
  };
}

/**
 * BpfObject: a parsed object (open) that becomes live (load), as libbpf's bpf_object__open and
 * bpf_object__load: every map is created from its spec (global data filled, `.rodata` and
 * `.kconfig` frozen and read-only to programs, LIBBPF_PIN_BY_NAME maps pinned or reused, initial
 * slots of map-in-map and prog arrays set), every program has its ld_imm64 references resolved,
 * its verification by the verifier (as BPF_PROG_LOAD does), its helpers checked and an engine
 * built. The object's own handles are the file descriptors libbpf would hold; close() releases
 * them. Works in node / browser.
 */
import { loadCollectionSpec } from '../loader/load.ts';
import { checkLoadable } from '../loader/check.ts';
import { KCONFIG_MAP, kernelMapName } from '../loader/data.ts';
import { LIBBPF_PIN_BY_NAME } from '../loader/maps.ts';
import type { CollectionSpec, MapSpec, ProgramSpec } from '../loader/spec.ts';
import type { BpfMap } from '../maps/map.ts';
import { ArrayMap } from '../maps/array.ts';
import { BpfError, InternalError, RunError } from '../util/errors.ts';
import { EINVAL, ENOENT, ESRCH } from '../uapi/errno.ts';
import { BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_PROG_ARRAY } from '../uapi/bpf.ts';
import { createMap } from './map-factory.ts';
import type { MapHandle } from './map-handle.ts';
import { LoadedProgram, type ProgramHandle } from './program.ts';
import type { MapRefs } from './refs.ts';
import { Runtime, type RuntimeOptions } from './runtime.ts';
import { DEFAULT_ENGINE, createEngine, verifiedProgram, type EngineName } from './engine.ts';
import { checkHelpers, helperTable } from './helpers.ts';
import { wasmHelpers } from './wasm-helpers/index.ts';
import { fillKconfig, type KconfigValue } from './kconfig.ts';
import { verify, VerifierError, type VerifierMap, type VerifierProgram, type VerifierResult } from '../verifier/index.ts';
import { buildVerifierProgram, specCreatedWithBtf, verifierMapOf } from './verify-program.ts';

/** Options of {@link BpfObject.load}. */
export interface LoadOptions extends RuntimeOptions {
  /** Load into this runtime (shared with other objects); default a new one from the other options. */
  readonly runtime?: Runtime;
  /** Execution engine: 'jit' (default) or 'interpreter'. */
  readonly engine?: EngineName;
  /**
   * Run the verifier on every program before it can run (default true), as BPF_PROG_LOAD does.
   * `false` loads unverified code: only the engine's own bounds checks stand between it and a fault.
   */
  readonly verify?: boolean;
  /** Verifier log level: 0 none (default), 1 the explored paths, 2 every instruction with its state. */
  readonly logLevel?: 0 | 1 | 2;
  /** CONFIG_* values for `__kconfig` externs (LINUX_KERNEL_VERSION defaults to 6.18.0). */
  readonly kconfig?: Readonly<Record<string, KconfigValue>>;
  /** Instruction budget of one run (default 100M): stops runaway unverified code. */
  readonly maxInsns?: number;
}

/** Options of {@link BpfObject.verify}. */
export interface VerifyObjectOptions {
  /** Verify only these programs (default all), as libbpf with autoload off for the others. */
  readonly programs?: readonly string[];
  /** Verifier log level (default 0). */
  readonly logLevel?: 0 | 1 | 2;
  /** CONFIG_* values for `__kconfig` externs, as for load. */
  readonly kconfig?: Readonly<Record<string, KconfigValue>>;
}

/** One program's verdict from {@link BpfObject.verify}: a result, or the verifier's refusal. */
export type ProgramVerdict =
  | { readonly name: string; readonly result: VerifierResult; readonly error?: undefined }
  | { readonly name: string; readonly error: VerifierError; readonly result?: undefined };

/** Options of {@link BpfObject.open}. */
export interface OpenOptions {
  /** libbpf's object name (the file name up to its first '.'), used for global-data map names. */
  readonly name?: string;
}

/** The bpffs directory libbpf pins LIBBPF_PIN_BY_NAME maps into. */
export const DEFAULT_PIN_ROOT = '/sys/fs/bpf';

/** A BPF object: open (parse), then load. Works in node / browser. */
export class BpfObject {
  /** The parsed object, editable until load. */
  readonly spec: CollectionSpec;
  readonly name: string;
  #runtime: Runtime | undefined;
  readonly #maps = new Map<string, MapHandle>();
  readonly #programs = new Map<string, ProgramHandle>();
  /** The maps as the verifier sees them (BTF or not, after libbpf's retry), by spec name. */
  readonly #verifierMaps = new Map<string, VerifierMap>();
  readonly #verification = new Map<string, VerifierResult>();
  #state: 'open' | 'loaded' | 'closed' = 'open';

  private constructor(spec: CollectionSpec, name: string) {
    this.spec = spec;
    this.name = name;
  }

  /**
   * Parses an ELF object (bpf_object__open_mem): no maps or programs are created.
   * @throws {BpfError} (ElfError, BtfError, LoaderError) EINVAL for malformed objects.
   */
  static open(bytes: Uint8Array, options: OpenOptions = {}): BpfObject {
    return new BpfObject(loadCollectionSpec(bytes), options.name ?? 'obj');
  }

  /** The runtime the object was loaded into. @throws {BpfError} EINVAL before load. */
  get runtime(): Runtime {
    if (this.#runtime === undefined) throw new BpfError(EINVAL, `object '${this.name}' is not loaded`);
    return this.#runtime;
  }

  /**
   * Creates the maps and loads the programs (bpf_object__load), verifying each unless
   * `verify: false`. On failure nothing stays created.
   * @throws {VerifierError} for the first program the verifier refuses, with the kernel's errno
   * (EACCES unsafe, EINVAL malformed, E2BIG too complex) and log.
   * @throws {BpfError} EINVAL for what libbpf or the kernel refuse (unknown sections, unsupported
   * maps or helpers), ESRCH for unresolved externs.
   */
  async load(options: LoadOptions = {}): Promise<void> {
    if (this.#state !== 'open') throw new BpfError(EINVAL, `object '${this.name}' is already ${this.#state}`);
    checkLoadable(this.spec);
    const rt = options.runtime ?? new Runtime(options);
    try {
      this.#createMaps(rt, options);
      this.#loadPrograms(rt, options);
      this.#fillProgArrays();
    } catch (e) {
      this.#releaseAll();
      throw e;
    }
    this.#runtime = rt;
    this.#state = 'loaded';
  }

  /**
   * Verifies the programs without loading them: the maps are created in a scratch runtime (the
   * verifier needs them as the kernel created them) and released afterwards; the object stays
   * open. Every selected program is verified, so one refusal does not hide the next.
   * @throws {BpfError} ENOENT for a program name the object does not have; what load throws for
   * maps and externs (EINVAL, ESRCH, ...), since programs cannot be verified without them.
   */
  verify(options: VerifyObjectOptions = {}): ProgramVerdict[] {
    if (this.#state !== 'open') throw new BpfError(EINVAL, `object '${this.name}' is already ${this.#state}`);
    const wanted = options.programs ?? [...this.spec.programs.keys()];
    for (const name of wanted) {
      if (!this.spec.programs.has(name)) throw new BpfError(ENOENT, `object '${this.name}' has no program '${name}'`);
    }
    checkLoadable(this.spec);
    const scratch = new BpfObject(this.spec, this.name);
    const rt = new Runtime({});
    try {
      scratch.#createMaps(rt, { kconfig: options.kconfig ?? {} });
      return wanted.map((name): ProgramVerdict => {
        const spec = this.spec.programs.get(name)!;
        scratch.#resolve(rt, spec);
        try {
          return { name, result: scratch.#verifyProgram(spec, options.logLevel ?? 0, rt.nCpus) };
        } catch (e) {
          if (e instanceof VerifierError) return { name, error: e };
          throw e;
        }
      });
    } finally {
      scratch.#releaseAll();
      rt.close();
    }
  }

  /**
   * BPF_PROG_LOAD's verification of one program against the object's maps, on a runtime of
   * `nrCpus` CPUs (the kernel's nr_cpu_ids bounds bpf_get_smp_processor_id()).
   */
  #verifyProgram(spec: ProgramSpec, logLevel: 0 | 1 | 2, nrCpus: number): VerifierResult {
    return verify(buildVerifierProgram(spec, this.#verifierMaps, this.spec.btf, nrCpus), { logLevel });
  }

  /**
   * What the verifier said about program `name` at load: instructions processed, stack depth of
   * each subprogram, states and the log at the load's `logLevel`. Undefined when the object was
   * loaded with `verify: false`. @throws {BpfError} ENOENT for an unknown program.
   */
  verification(name: string): VerifierResult | undefined {
    this.program(name);
    return this.#verification.get(name);
  }

  /**
   * The verifier's input for program `name` of this loaded object, exactly as load verified it
   * (its maps as created, frozen .rodata, the runtime's CPU count): for tools that run or time
   * `verify()` themselves. @throws {BpfError} ENOENT for an unknown program, EINVAL before load.
   */
  verifierInput(name: string): VerifierProgram {
    this.program(name);
    const spec = this.spec.programs.get(name)!;
    return buildVerifierProgram(spec, this.#verifierMaps, this.spec.btf, this.runtime.nCpus);
  }

  #createMaps(rt: Runtime, options: Pick<LoadOptions, 'kconfig'>): void {
    for (const spec of this.spec.maps.values()) {
      const pinPath = spec.pinning === LIBBPF_PIN_BY_NAME ? `${DEFAULT_PIN_ROOT}/${spec.name}` : undefined;
      if (pinPath !== undefined && rt.isPinned(pinPath)) {
        const h = rt.getPinned(pinPath);
        if (!('update' in h)) throw new BpfError(EINVAL, `map '${spec.name}': pin path ${pinPath} holds a program`);
        this.#maps.set(spec.name, h);
        this.#verifierMaps.set(spec.name, verifierMapOf(h.map, specCreatedWithBtf(spec), spec.innerMap !== undefined && specCreatedWithBtf(spec.innerMap)));
        if (h.type !== spec.type || h.keySize !== spec.keySize || h.valueSize !== spec.valueSize || h.maxEntries !== spec.maxEntries || h.flags !== spec.flags) {
          throw new BpfError(EINVAL, `map '${spec.name}': couldn't reuse pinned map at '${pinPath}': parameter mismatch`);
        }
        continue;
      }
      const handle = this.#createMap(rt, spec, options);
      this.#maps.set(spec.name, handle);
      if (pinPath !== undefined) rt.pin(pinPath, handle);
    }
    // Map-in-map initial slots, once every map exists (init_map_in_map_slots): the value is the
    // inner map's id, which stands for the fd user space passes on the kernel.
    for (const spec of this.spec.maps.values()) {
      if (spec.type !== BPF_MAP_TYPE_ARRAY_OF_MAPS && spec.type !== BPF_MAP_TYPE_HASH_OF_MAPS) continue;
      (spec.initialSlots ?? []).forEach((inner, i) => {
        if (inner === undefined) return;
        this.#maps.get(spec.name)!.update(u32Bytes(i), u32Bytes(this.#maps.get(inner)!.id));
      });
    }
  }

  #createMap(rt: Runtime, spec: MapSpec, options: Pick<LoadOptions, 'kconfig'>): MapHandle {
    const name = spec.kind === 'data' || spec.kind === 'kconfig' ? kernelMapName(this.name, spec.name) : spec.name.slice(0, 15);
    let template: BpfMap | undefined;
    if (spec.innerMap !== undefined) {
      const t = spec.innerMap;
      template = createMap(rt.memory, { type: t.type, keySize: t.keySize, valueSize: t.valueSize, maxEntries: t.maxEntries, flags: t.flags, name: `${name}.inner`.slice(0, 15), record: t.record, nCpus: rt.nCpus }, rt.netdevs);
    }
    let map: BpfMap;
    let withBtf = specCreatedWithBtf(spec);
    try {
      const attrs = {
        type: spec.type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, flags: spec.flags, name,
        record: spec.record, nCpus: rt.nCpus, id: rt.allocMapId(), mapExtra: spec.mapExtra,
        ...(spec.numaNode !== 0 ? { numaNode: spec.numaNode } : {}),
        ...(template !== undefined ? { innerMapTemplate: template } : {}),
      };
      try {
        map = createMap(rt.memory, attrs, rt.netdevs);
      } catch (e) {
        // libbpf (bpf_object__create_map) retries a failed creation without BTF: the map then
        // has no special fields (a timer in a per-CPU map becomes plain bytes, and programs
        // using it as a timer are refused by the verifier instead).
        if (!(e instanceof BpfError) || spec.record === undefined || spec.record.fields.length === 0) throw e;
        const { record: _dropped, ...plain } = attrs;
        map = createMap(rt.memory, plain, rt.netdevs);
        withBtf = false;
      }
    } catch (e) {
      template?.destroy();
      throw e;
    }
    const innerWithBtf = spec.innerMap !== undefined && specCreatedWithBtf(spec.innerMap);
    this.#verifierMaps.set(spec.name, verifierMapOf(map, withBtf, innerWithBtf));
    const refs = rt.registerMap(map);
    if (template !== undefined) refs.owned.push(template);
    const handle = rt.newMapHandle(refs);
    let contents = spec.contents;
    if (spec.kind === 'kconfig') {
      contents = new Uint8Array(spec.valueSize);
      if (spec.contents !== undefined) contents.set(spec.contents);
      fillKconfig(this.spec, contents, options.kconfig ?? {});
    }
    if (contents !== undefined) handle.update(u32Bytes(0), contents);
    // libbpf freezes .rodata and .kconfig after filling them.
    if (spec.kind === 'kconfig' || (spec.kind === 'data' && spec.name.startsWith('.rodata'))) handle.freeze();
    if ((spec.flags & BPF_F_RDONLY_PROG) !== 0 && map instanceof ArrayMap) {
      // The verifier refuses program stores into BPF_F_RDONLY_PROG maps; without it, they fault.
      map.values.fields = { load: () => undefined, store: () => false };
    }
    return handle;
  }

  #loadPrograms(rt: Runtime, options: LoadOptions): void {
    for (const spec of this.spec.programs.values()) {
      let self: LoadedProgram | undefined;
      const table = helperTable(rt, spec.type, () => {
        if (self === undefined) throw new InternalError(`program ${spec.name} called a helper before it was loaded`);
        return self;
      });
      const { resolved, used } = this.#resolve(rt, spec);
      if (options.verify !== false) this.#verification.set(spec.name, this.#verifyProgram(spec, options.logLevel ?? 0, rt.nCpus));
      checkHelpers(spec.name, spec.insns, table);
      const engine = createEngine(options.engine ?? DEFAULT_ENGINE, spec.insns, {
        memory: rt.memory,
        helpers: (id) => table.get(id),
        resolveLdImm64: (insn) => {
          const v = resolved.get(insn.idx);
          if (v === undefined) throw new RunError(`ld_imm64 at insn ${insn.idx} has no reference to resolve`, insn.idx, EINVAL);
          return v;
        },
        packetOf: (ctx) => rt.packets.get(ctx),
        ...(options.maxInsns !== undefined ? { maxInsns: options.maxInsns } : {}),
        inline: wasmHelpers(rt, table, spec.type),
        ...(this.#verification.has(spec.name) ? { verified: verifiedProgram(this.#verification.get(spec.name)!) } : {}),
      });
      const prog = new LoadedProgram(rt, spec, engine, used);
      self = prog;
      this.#programs.set(spec.name, prog.newHandle());
    }
  }

  /** ld_imm64 values by slot, and the maps the program uses. */
  #resolve(rt: Runtime, spec: ProgramSpec): { resolved: Map<number, bigint>; used: MapRefs[] } {
    const resolved = new Map<number, bigint>();
    const used = new Set<MapRefs>();
    const refsOf = (mapName: string): MapRefs => {
      const h = this.#maps.get(mapName);
      const refs = h === undefined ? undefined : rt.mapRefsOf(h.map);
      if (refs === undefined) throw new BpfError(ENOENT, `program ${spec.name}: map '${mapName}' does not exist`);
      used.add(refs);
      return refs;
    };
    const valuePtr = (refs: MapRefs, mapName: string): bigint => {
      if (!(refs.map instanceof ArrayMap)) throw new BpfError(EINVAL, `program ${spec.name}: map '${mapName}' has no directly addressable value`);
      return refs.map.values.ptr;
    };
    for (const [arrayIdx, ref] of spec.references) {
      const insn = spec.insns[arrayIdx];
      if (insn === undefined) continue;
      switch (ref.kind) {
        case 'map':
          resolved.set(insn.idx, refsOf(ref.map).map.ptr);
          break;
        case 'mapValue':
          resolved.set(insn.idx, valuePtr(refsOf(ref.map), ref.map) + BigInt(ref.offset));
          break;
        case 'kconfig':
          resolved.set(insn.idx, valuePtr(refsOf(ref.map ?? KCONFIG_MAP), ref.map) + BigInt(ref.offset));
          break;
        case 'ksym':
          if (!ref.weak) throw new BpfError(ESRCH, `extern (var ksym) '${ref.name}': not found in kernel BTF (tsbpf has no kernel symbols)`);
          resolved.set(insn.idx, 0n);
          break;
        case 'kfunc':
          if (!ref.weak) throw new BpfError(ESRCH, `extern (func ksym) '${ref.name}': not found in kernel or module BTFs (tsbpf implements no kfuncs)`);
          break;
        case 'func':
        case 'coreFailure':
          break;
      }
    }
    return { resolved, used: [...used] };
  }

  /** bpf_object_init_prog_arrays: prog array slots named in `.values`, by program id. */
  #fillProgArrays(): void {
    for (const spec of this.spec.maps.values()) {
      if (spec.type !== BPF_MAP_TYPE_PROG_ARRAY) continue;
      (spec.initialSlots ?? []).forEach((progName, i) => {
        if (progName === undefined) return;
        this.#maps.get(spec.name)!.update(u32Bytes(i), u32Bytes(this.#programs.get(progName)!.id));
      });
    }
  }

  /** The handle of map `name` (spec name: variable name, or `.bss` / `.data` / `.rodata` / `.kconfig`). @throws {BpfError} ENOENT. */
  map(name: string): MapHandle {
    this.#loaded();
    const h = this.#maps.get(name);
    if (h === undefined) throw new BpfError(ENOENT, `object '${this.name}' has no map '${name}'`);
    return h;
  }

  /** The handle of program `name` (the C function name). @throws {BpfError} ENOENT. */
  program(name: string): ProgramHandle {
    this.#loaded();
    const h = this.#programs.get(name);
    if (h === undefined) throw new BpfError(ENOENT, `object '${this.name}' has no program '${name}'`);
    return h;
  }

  /** The object's map handles by spec name. */
  get maps(): ReadonlyMap<string, MapHandle> {
    this.#loaded();
    return this.#maps;
  }

  /** The object's program handles by name. */
  get programs(): ReadonlyMap<string, ProgramHandle> {
    this.#loaded();
    return this.#programs;
  }

  #loaded(): void {
    if (this.#state !== 'loaded') throw new BpfError(EINVAL, `object '${this.name}' is ${this.#state === 'open' ? 'not loaded' : 'closed'}`);
  }

  #releaseAll(): void {
    for (const h of this.#programs.values()) if (!h.released) h.release();
    for (const h of this.#maps.values()) if (!h.released) h.release();
    this.#programs.clear();
    this.#maps.clear();
    this.#verifierMaps.clear();
  }

  /**
   * bpf_object__close: releases the object's handles (those already released are skipped).
   * Maps and programs stay alive while something else references them (pins, other handles,
   * prog array slots, timers). Idempotent.
   */
  close(): void {
    if (this.#state === 'closed') return;
    this.#releaseAll();
    this.#state = 'closed';
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}


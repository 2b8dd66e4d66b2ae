/**
 * Runtime: the "kernel" one or more loaded objects share. It owns the one address space, the
 * clock, the virtual CPUs, randomness, the task identity programs see, the trace sink, the map and
 * program registries (ids, `struct bpf_map *` values), the pin namespace (bpffs) and the state of
 * the program run in progress. Objects loaded without an explicit runtime get one of their own.
 * Works in node / browser.
 */
import { AddressSpace, type AddressSpaceOptions } from '../vm/memory.ts';
import type { PacketView } from '../vm/ld-abs.ts';
import type { BpfMap, MapAttrs, ProgRef } from '../maps/map.ts';
import { VirtualClock } from '../timers/virtual-clock.ts';
import type { Clock } from '../timers/clock.ts';
import type { HelperContext, TaskIdentity } from '../helpers/impl/index.ts';
import type { RunBinding, RunState, TailCallTarget } from '../helpers/impl/run-state.ts';
import { BpfError, InternalError } from '../util/errors.ts';
import { EEXIST, EINVAL, ENOENT } from '../uapi/errno.ts';
import { ArrayOfMapsMap, HashOfMapsMap } from '../maps/map-in-map.ts';
import { createMap } from './map-factory.ts';
import { CtxLayouts } from './ctx-layouts.ts';
import { NetdevTable, type Netdev } from '../maps/netdev.ts';
import { MapHandle } from './map-handle.ts';
import { MapRefs } from './refs.ts';
import type { LoadedProgram, ProgramHandle } from './program.ts';
import { RuntimeTimers } from './timer-wiring.ts';
import { SharedRandom } from './wasm-helpers/random.ts';

/** Options of a {@link Runtime}. */
export interface RuntimeOptions {
  /**
   * Time source of the time helpers and of bpf_timer (default: a new VirtualClock). The runtime
   * uses it but does not own it: close() stops the runtime's timers and leaves the clock open.
   */
  readonly clock?: Clock;
  /** Number of virtual CPUs (per-CPU maps hold one value each); default 2. */
  readonly nCpus?: number;
  /** The CPU runs happen on unless a run says otherwise; default 0. */
  readonly cpu?: number;
  /** Seed of bpf_get_prandom_u32; default 1. */
  readonly seed?: number;
  /** What bpf_get_current_* report. */
  readonly task?: Partial<TaskIdentity>;
  /** Receives bpf_trace_printk lines; default: kept in `runtime.traceLines`. */
  readonly trace?: (line: string) => void;
  /** CONFIG_HZ for jiffies and coarse time; default 250. */
  readonly hz?: number;
  /** Size limits of the address space. */
  readonly memory?: AddressSpaceOptions;
  /**
   * Reads a monotonic time in ns for the `durationNs` of program runs (a measurement, never seen
   * by programs). Default: `performance.now()` where the host has it, else a constant.
   */
  readonly stopwatch?: () => number;
  /**
   * Network devices besides `lo` (ifindex 1, always present): the ifindexes devmap entries may
   * name, as dev_get_by_index() finds them on the kernel. Default: `lo` only.
   * @example new Runtime({ netdevs: [{ ifindex: 2, name: 'eth0' }] })
   */
  readonly netdevs?: readonly Netdev[];
}

/** What a pin path holds. */
type Pinned = { readonly kind: 'map'; readonly refs: MapRefs } | { readonly kind: 'prog'; readonly prog: LoadedProgram };

/** Default task identity (a plausible user process). */
export const DEFAULT_TASK: TaskIdentity = { pid: 4242, tgid: 4242, uid: 1000, gid: 1000, comm: 'tsbpf' };

function defaultStopwatch(): () => number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf !== undefined ? () => perf.now() * 1e6 : () => 0;
}

/** The shared state of loaded objects (see the module comment). Works in node / browser. */
export class Runtime {
  readonly memory: AddressSpace;
  readonly clock: Clock;
  /** The bpf_timer state of this runtime. */
  readonly timers: RuntimeTimers;
  readonly nCpus: number;
  readonly defaultCpu: number;
  readonly task: TaskIdentity;
  readonly hz: number;
  /** Trace lines, when no `trace` sink was given. */
  readonly traceLines: string[] = [];
  readonly stopwatch: () => number;
  /** The network devices devmap entries may name (`lo` and the `netdevs` option's). */
  readonly netdevs: NetdevTable;
  /** @internal The contexts of the test runs in progress, for the JIT's in-line context loads. */
  readonly ctxLayouts = new CtxLayouts();
  /** The state of bpf_get_prandom_u32 (seededRandom's sequence), shared by JS helpers and JIT code. */
  readonly random: SharedRandom;
  /** The context helper implementations read (clock, CPU, randomness, task, trace). */
  readonly helperContext: HelperContext;
  /** The runtime side of map, callback, tail-call and XDP helpers. */
  readonly binding: RunBinding;
  /** @internal Packets of the skb contexts of runs in progress, for LD_ABS / LD_IND (by ctx pointer). */
  readonly packets = new Map<bigint, PacketView>();
  readonly #mapsByPtr = new Map<bigint, MapRefs>();
  readonly #mapsById = new Map<number, MapRefs>();
  readonly #handles = new Map<MapRefs, Set<MapHandle>>();
  readonly #progsById = new Map<number, LoadedProgram>();
  readonly #pins = new Map<string, Pinned>();
  readonly #runs: RunState[] = [];
  #nextMapId = 1;
  #nextProgId = 1;
  #closed = false;

  /** @throws {BpfError} EINVAL for a CPU count below 1 or a CPU outside it, or an invalid `netdevs` entry. */
  constructor(options: RuntimeOptions = {}) {
    this.nCpus = options.nCpus ?? 2;
    this.defaultCpu = options.cpu ?? 0;
    if (!Number.isInteger(this.nCpus) || this.nCpus < 1 || this.nCpus > 4096) throw new BpfError(EINVAL, `nCpus must be 1..4096, got ${this.nCpus}`);
    if (!Number.isInteger(this.defaultCpu) || this.defaultCpu < 0 || this.defaultCpu >= this.nCpus) throw new BpfError(EINVAL, `cpu ${this.defaultCpu} is not one of the ${this.nCpus} CPUs`);
    this.memory = new AddressSpace(options.memory);
    this.clock = options.clock ?? new VirtualClock();
    this.timers = new RuntimeTimers(this, this.clock);
    this.task = { ...DEFAULT_TASK, ...options.task };
    this.hz = options.hz ?? 250;
    this.stopwatch = options.stopwatch ?? defaultStopwatch();
    this.netdevs = new NetdevTable(options.netdevs ?? []);
    const sink = options.trace ?? ((line: string) => { this.traceLines.push(line); });
    const random = new SharedRandom(this.memory, options.seed ?? 1);
    this.random = random;
    this.helperContext = {
      clock: this.clock,
      cpu: () => this.currentCpu,
      numaNode: () => 0,
      randomU32: () => random.next(),
      task: this.task,
      trace: sink,
      hz: this.hz,
    };
    this.binding = {
      mapAt: (ptr) => this.#mapsByPtr.get(ptr)?.map,
      run: () => {
        const r = this.#runs[this.#runs.length - 1];
        if (r === undefined) throw new InternalError('helper called outside a program run');
        return r;
      },
      progArraySlot: (map, index) => this.#progArraySlot(map, index),
    };
  }

  /** The CPU of the run in progress (the default CPU outside runs). */
  get currentCpu(): number {
    return this.#runs[this.#runs.length - 1]?.cpu ?? this.defaultCpu;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Stops the runtime's timers: every bpf_timer is freed (its program reference dropped) and no
   * callback runs afterwards. Maps, programs and handles are left as they are; the clock is the
   * caller's (close it too when nothing else uses it). Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.timers.close();
  }

  /**
   * After a program run, on the virtual clock: fire the timers due at the current instant (those
   * started with 0 ns, or an absolute time already past). XDP and tc runs execute with bottom
   * halves disabled, so on the kernel their timers fire when the run ends; tsbpf fires them as
   * soon as the run that armed them returns, which every observer between runs (scenario steps,
   * map reads) sees as the kernel's state. On the real clock they fire from the event loop.
   */
  fireDueTimers(): void {
    if (this.#closed || this.#runs.length !== 0) return;
    const c = this.clock;
    if (c instanceof VirtualClock && !c.closed) c.advance(0n);
  }

  /**
   * A syscall program runs with softirqs enabled: on the kernel a timer it starts for "now" fires
   * from the timer softirq before the program's next instruction (spec B74). Called after its
   * bpf_timer_start succeeds; fires what is due, unless a timer callback is already running.
   */
  interruptWithDueTimers(): void {
    if (!this.#closed) this.clock.fireDueNow();
  }

  /** Runs `fn` as the run `state` (helpers see its CPU, XDP buffer and redirect record). */
  withRun<T>(state: RunState, fn: () => T): T {
    this.#runs.push(state);
    try {
      return fn();
    } finally {
      this.#runs.pop();
    }
  }

  // ---- maps ----

  /**
   * BPF_MAP_CREATE: a new map and the handle holding its first user reference.
   * @throws {BpfError} EINVAL for attributes the kernel refuses or types tsbpf does not implement.
   */
  createMap(attrs: Omit<MapAttrs, 'id' | 'nCpus'>): MapHandle {
    return this.newMapHandle(this.registerMap(createMap(this.memory, { ...attrs, nCpus: this.nCpus, id: this.#nextMapId++ }, this.netdevs)));
  }

  /** @internal Puts a created map in the registries (no reference taken). */
  registerMap(map: BpfMap): MapRefs {
    const refs = new MapRefs(map, (r) => {
      this.timers.detach(r.map);
      this.#mapsByPtr.delete(r.map.ptr);
      this.#mapsById.delete(r.map.id);
      this.#handles.delete(r);
    }, (r) => this.timers.releaseMap(r.map));
    this.timers.attach(map);
    // An outer map letting go of an inner map may leave it unreferenced: free it then.
    if (map instanceof ArrayOfMapsMap || map instanceof HashOfMapsMap) map.onInnerReleased = (inner) => this.mapRefsOf(inner)?.maybeFree();
    this.#mapsByPtr.set(map.ptr, refs);
    this.#mapsById.set(map.id, refs);
    return refs;
  }

  /** @internal A new id for a map about to be created. */
  allocMapId(): number {
    return this.#nextMapId++;
  }

  /** @internal A new handle (user reference) on a live map. */
  newMapHandle(refs: MapRefs): MapHandle {
    refs.acquireUser();
    let set = this.#handles.get(refs);
    if (set === undefined) this.#handles.set(refs, (set = new Set()));
    const h = new MapHandle(refs, (handle) => { this.#handles.get(refs)?.delete(handle); }, (id) => this.#mapsById.get(id)?.map, (id) => this.#progsById.get(id));
    set.add(h);
    return h;
  }

  /** @internal The bookkeeping of the map at `ptr`. */
  mapRefsAt(ptr: bigint): MapRefs | undefined {
    return this.#mapsByPtr.get(ptr);
  }

  /** @internal The bookkeeping of a live map. */
  mapRefsOf(map: BpfMap): MapRefs | undefined {
    return this.#mapsByPtr.get(map.ptr);
  }

  /** Ids of the live maps, ascending (BPF_MAP_GET_NEXT_ID). */
  mapIds(): number[] {
    return [...this.#mapsById.keys()].sort((a, b) => a - b);
  }

  /**
   * BPF_MAP_GET_FD_BY_ID: a new handle, holding a new user reference (even after the map's user
   * references had dropped to zero, as on the kernel). @throws {BpfError} ENOENT for no such map.
   */
  mapById(id: number): MapHandle {
    const refs = this.#mapsById.get(id);
    if (refs === undefined || refs.freed) throw new BpfError(ENOENT, `no map with id ${id}`);
    return this.newMapHandle(refs);
  }

  /**
   * Drops every user reference of the map behind `handle`: all its handles and all its pins (the
   * scenario `release` step). Programs keep their references.
   */
  releaseAllUserRefs(handle: MapHandle): void {
    const refs = this.mapRefsOf(handle.map);
    if (refs === undefined) return;
    for (const [path, p] of [...this.#pins]) if (p.kind === 'map' && p.refs === refs) this.unpin(path);
    for (const h of [...(this.#handles.get(refs) ?? [])]) h.release();
  }

  // ---- programs ----

  /** @internal A new program id. */
  allocProgId(): number {
    return this.#nextProgId++;
  }

  /** @internal Registers a loaded program (its creator holds the first reference). */
  registerProgram(prog: LoadedProgram): void {
    this.#progsById.set(prog.id, prog);
  }

  /** @internal Called by a program when its last reference is gone. */
  unregisterProgram(prog: LoadedProgram): void {
    this.#progsById.delete(prog.id);
  }

  /** @internal The live program with id `id`. */
  programOf(id: number): LoadedProgram | undefined {
    return this.#progsById.get(id);
  }

  /** Ids of the live programs, ascending (BPF_PROG_GET_NEXT_ID). */
  programIds(): number[] {
    return [...this.#progsById.keys()].sort((a, b) => a - b);
  }

  /** BPF_PROG_GET_FD_BY_ID: a new program handle. @throws {BpfError} ENOENT for no such program. */
  programById(id: number): ProgramHandle {
    const p = this.#progsById.get(id);
    if (p === undefined) throw new BpfError(ENOENT, `no program with id ${id}`);
    return p.newHandle();
  }

  #progArraySlot(map: BpfMap, index: number): TailCallTarget | undefined {
    // Prog arrays expose their slots as ProgRefs (maps/ never sees runtime/ types).
    const slots = map as unknown as { progAt?: (i: number) => ProgRef | undefined };
    const ref = slots.progAt?.(index);
    return ref === undefined ? undefined : this.#progsById.get(ref.id);
  }

  // ---- the pin namespace (bpffs) ----

  /**
   * BPF_OBJ_PIN: `path` now holds a reference (a user reference for maps) of its own.
   * @throws {BpfError} EEXIST when the path is taken; EINVAL for a path not under /sys/fs/bpf/.
   */
  pin(path: string, handle: MapHandle | ProgramHandle): void {
    if (!path.startsWith('/sys/fs/bpf/') || path.length <= '/sys/fs/bpf/'.length) throw new BpfError(EINVAL, `pin path '${path}' is not in /sys/fs/bpf`);
    if (this.#pins.has(path)) throw new BpfError(EEXIST, `pin path '${path}' already exists`);
    if (handle instanceof MapHandle) {
      const refs = this.mapRefsOf(handle.map);
      if (refs === undefined) throw new InternalError(`pinned map '${handle.name}' is not registered`);
      refs.acquireUser();
      this.#pins.set(path, { kind: 'map', refs });
    } else {
      const prog = handle.program;
      prog.acquire();
      this.#pins.set(path, { kind: 'prog', prog });
    }
  }

  /**
   * BPF_OBJ_GET: a new handle to what `path` holds (a new user reference for maps).
   * @throws {BpfError} ENOENT when nothing is pinned there.
   */
  getPinned(path: string): MapHandle | ProgramHandle {
    const p = this.#pins.get(path);
    if (p === undefined) throw new BpfError(ENOENT, `nothing pinned at '${path}'`);
    return p.kind === 'map' ? this.newMapHandle(p.refs) : p.prog.newHandle();
  }

  /** True when something is pinned at `path`. */
  isPinned(path: string): boolean {
    return this.#pins.has(path);
  }

  /** unlink() of a pin: drops the pin's reference. @throws {BpfError} ENOENT when nothing is pinned there. */
  unpin(path: string): void {
    const p = this.#pins.get(path);
    if (p === undefined) throw new BpfError(ENOENT, `nothing pinned at '${path}'`);
    this.#pins.delete(path);
    if (p.kind === 'map') p.refs.releaseUser();
    else p.prog.release();
  }
}

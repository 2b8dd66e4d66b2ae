/**
 * The runtime side of bpf_timer: one {@link BpfTimers} per runtime, driven by the runtime's clock,
 * told about user references by the map registry, freed by the maps through their
 * SpecialFieldsHooks, and firing callbacks through the program's engine inside the runtime's run
 * bookkeeping (spec shared/spec/bpf-timer.md §2.5, §3, §4).
 *
 * - Keys (§4.1, §5.4): for an array the kernel passes a pointer to a u32 holding the element's
 *   index, computed from the value address; here that u32 lives in a small read-only region of
 *   the runtime, rewritten before each callback (callbacks run one at a time). For hash and LRU
 *   maps the key is the one stored in the element, just before the value:
 *   `valuePtr − round_up(key_size, 8)`.
 * - The callback runs as a run of its own on the timer's CPU (the CPU of its last
 *   bpf_timer_start, as BPF_F_TIMER_CPU_PIN guarantees and as unpinned timers behave on an idle
 *   machine), so bpf_get_smp_processor_id and per-CPU maps see that CPU.
 * Works in node / browser.
 */
import type { BpfMap } from '../maps/map.ts';
import { roundUp8 } from '../maps/map.ts';
import { ArrayMap } from '../maps/array.ts';
import { BpfTimers } from '../timers/bpf-timer.ts';
import type { Clock } from '../timers/clock.ts';
import type { Region } from '../vm/memory.ts';
import { hasTimerField } from '../helpers/impl/timer.ts';
import { InternalError } from '../util/errors.ts';
import type { LoadedProgram } from './program.ts';
import type { MapRefs } from './refs.ts';
import type { Runtime } from './runtime.ts';

/** The timers of one runtime and the glue around them. */
export class RuntimeTimers {
  readonly timers: BpfTimers<BpfMap, LoadedProgram>;
  readonly #runtime: Runtime;
  /** Live maps with a timer field: where timer pointers are looked up (an array: walked per helper call). */
  #maps: BpfMap[] = [];
  /** The registry entries of the maps in #maps, found once (the registry is keyed by bigint address). */
  readonly #refs = new Map<BpfMap, MapRefs>();
  #arrayKey: Region | undefined = undefined;

  constructor(runtime: Runtime, clock: Clock) {
    this.#runtime = runtime;
    this.timers = new BpfTimers<BpfMap, LoadedProgram>({
      clock,
      invoke: (fn, prog, map, valuePtr, cpu) => this.#invoke(fn, prog, map, valuePtr, cpu),
      // usercnt: the registry's count, already 0 when map_release_uref runs.
      mapHasUserRefs: (map) => (this.#refsOf(map)?.urefs ?? 0) > 0,
    });
  }

  /** The registry entry of `map` (cached while the map is attached), or undefined once freed. */
  #refsOf(map: BpfMap): MapRefs | undefined {
    const cached = this.#refs.get(map);
    if (cached !== undefined) return cached;
    const refs = this.#runtime.mapRefsOf(map);
    if (refs !== undefined && this.#maps.includes(map)) this.#refs.set(map, refs);
    return refs;
  }

  /**
   * Makes `map`'s element frees (update, replace, delete, eviction, uref release, map free) free
   * the element's timer. Maps without a timer field are left alone.
   */
  attach(map: BpfMap): void {
    if (!hasTimerField(map)) return;
    if (!this.#maps.includes(map)) this.#maps = [...this.#maps, map];
    const timerOff = BigInt(map.record.timerOff);
    const prev = map.hooks;
    map.hooks = {
      freeFields: (m, valuePtr) => {
        prev?.freeFields(m, valuePtr);
        this.timers.freeTimer(valuePtr + timerOff);
      },
    };
  }

  /** The live maps with a timer field. */
  timerMaps(): Iterable<BpfMap> {
    return this.#maps;
  }

  /** The map was freed: its timers with it (the map's own walk ran first). */
  detach(map: BpfMap): void {
    this.timers.releaseMap(map);
    // A new array: a walk of the old one in progress is not disturbed.
    this.#maps = this.#maps.filter((m) => m !== map);
    this.#refs.delete(map);
  }

  /** map_release_uref, after the map's own walk: no timer of `map` may survive it. */
  releaseMap(map: BpfMap): void {
    this.timers.releaseMap(map);
  }

  /** Runtime shutdown: every timer freed (program references dropped); nothing fires afterwards. */
  close(): void {
    this.timers.freeAll();
    if (this.#arrayKey !== undefined) {
      this.#runtime.memory.free(this.#arrayKey);
      this.#arrayKey = undefined;
    }
  }

  /** The key pointer the kernel passes for the element whose value is at `valuePtr`. */
  #keyPtr(map: BpfMap, valuePtr: bigint): bigint {
    if (!(map instanceof ArrayMap)) return valuePtr - BigInt(roundUp8(map.keySize));
    const mem = this.#runtime.memory;
    const key = (this.#arrayKey ??= mem.alloc(4, { kind: 'scratch', name: 'timer.array_key', writable: false }));
    const index = Number(valuePtr - map.values.ptr) / map.elemSize; // exact: valuePtr starts an element
    mem.dataView().setUint32(key.offset, index, true); // index < max_entries: fits a u32
    return key.ptr;
  }

  #invoke(fn: bigint, prog: LoadedProgram, map: BpfMap, valuePtr: bigint, cpu: number): void {
    if (prog.freed) throw new InternalError(`timer callback of freed program '${prog.name}'`);
    const keyPtr = this.#keyPtr(map, valuePtr);
    this.#runtime.withRun({ cpu, xdp: undefined, redirect: undefined, tailCalls: 0 }, () => {
      prog.engine.callFunction(fn, [map.ptr, keyPtr, valuePtr]);
    });
  }
}

/**
 * The bpf_timer helpers (kernel/bpf/helpers.c, 6.18): bpf_timer_init #169,
 * bpf_timer_set_callback #170, bpf_timer_start #171 and bpf_timer_cancel #172, bound to a
 * runtime's {@link BpfTimers}. The state machine and every return value live in timers/; this
 * file turns registers into its arguments.
 *
 * The verifier guarantees that R1 points exactly at the timer field of a map value
 * (ARG_PTR_TO_TIMER), that init's R2 is that value's map and that set_callback's R2 is a
 * function of the calling program. Programs run here may be unverified, so these facts are
 * checked again at run time and a violation stops the program with a RunError naming it.
 *
 * The calling program (the kernel's hidden R3 = prog->aux of set_callback) is the program whose
 * helper table this is: each loaded program gets its own table. Works in node / browser.
 */
import type { HelperEnv, HelperFn } from '../../vm/abi.ts';
import { encodeFuncPtr } from '../../vm/abi.ts';
import type { BpfMap } from '../../maps/map.ts';
import { ptrToOff } from '../../maps/map.ts';
import { ArrayMap } from '../../maps/array.ts';
import { HashMap } from '../../maps/hash.ts';
import type { BpfTimers, TimerProg } from '../../timers/bpf-timer.ts';
import { ADDR_BASE, ADDR_LIMIT } from '../../vm/memory.ts';
import { RunError } from '../../util/errors.ts';
import { hex64, u64 } from '../../util/u64.ts';
import { EINVAL } from '../../uapi/errno.ts';
import { mapArg } from './map.ts';
import type { RunBinding } from './run-state.ts';

/** The element a timer field belongs to. */
export interface TimerSite {
  readonly map: BpfMap;
  /** Start of the value holding the timer (timer address − the map's timer offset). */
  readonly valuePtr: bigint;
}

/** Whether `map` carries a recognised bpf_timer field (a BTF record without errors, timer_off ≥ 0). */
export function hasTimerField(map: BpfMap): boolean {
  return map.record.error === undefined && map.record.timerOff >= 0;
}

/**
 * The map value whose timer field is at `timerPtr`, among `maps`, or undefined. Element geometry
 * is the maps' own: array values `elemSize` apart; hash and LRU elements from the preallocated
 * pool, value at `valueOff` in each. A pointer into a deleted element still names its slot (the
 * kernel lets programs keep stale value pointers; the slot is then uninitialised).
 */
export function timerSiteAt(maps: Iterable<BpfMap>, timerPtr: bigint): TimerSite | undefined {
  if (timerPtr < ADDR_BASE || timerPtr >= ADDR_LIMIT) return undefined;
  const off = ptrToOff(timerPtr);
  for (const map of maps) {
    if (map.destroyed || !hasTimerField(map)) continue;
    const timerOff = map.record.timerOff;
    if (map instanceof ArrayMap) {
      const rel = off - map.values.offset;
      if (rel < 0 || rel >= map.maxEntries * map.elemSize) continue;
      if (rel % map.elemSize !== timerOff) return undefined;
      return { map, valuePtr: timerPtr - BigInt(timerOff) };
    }
    if (map instanceof HashMap) {
      const rel = off - map.elemsOff;
      if (rel < 0 || rel >= map.nElems * map.elemSize) continue;
      if (rel % map.elemSize !== map.valueOff + timerOff) return undefined;
      return { map, valuePtr: timerPtr - BigInt(timerOff) };
    }
  }
  return undefined;
}

/** What the timer helpers need besides the runtime's map and run bindings. */
export interface TimerBinding<P extends TimerProg> {
  readonly timers: BpfTimers<BpfMap, P>;
  /** The live maps that may hold timers (the runtime's registry). */
  timerMaps(): Iterable<BpfMap>;
  /** The program these helpers are bound to (the caller of set_callback). */
  prog(): P;
}

function site<P extends TimerProg>(t: TimerBinding<P>, env: HelperEnv, timerPtr: bigint): TimerSite {
  const s = timerSiteAt(t.timerMaps(), timerPtr);
  if (s === undefined) {
    // The verifier's ARG_PTR_TO_TIMER check (§6.1) would have refused this program.
    throw new RunError(`R1 ${hex64(timerPtr)} does not point to the bpf_timer field of a map value (insn ${env.insnIdx})`, env.insnIdx, EINVAL);
  }
  return s;
}

/**
 * The result `r` of set_callback, start or cancel on `timerPtr`, after the check that R1 points at
 * the timer field of a map value, which the kernel's verifier makes before the call. The check
 * comes after the call here, and only when the slot is uninitialised: an initialised slot was
 * checked by its bpf_timer_init and stays valid while initialised (freeing the map or the element
 * frees the timer first), and on an uninitialised slot these calls return -EINVAL having changed
 * nothing, so a bad pointer still stops the program before anything happened.
 */
function checked<P extends TimerProg>(t: TimerBinding<P>, env: HelperEnv, timerPtr: bigint, r: number): bigint {
  if (r === -EINVAL && !t.timers.isInitialised(timerPtr)) site(t, env, timerPtr);
  return ret(r);
}

/** The helpers' return values as u64 registers: the -errno cases are rare, 0 and 1 are constants. */
const ret = (r: number): bigint => (r === 0 ? 0n : r === 1 ? 1n : u64(BigInt(r)));

/** Function pointers (vm/abi.ts encodeFuncPtr) are the u64 values FUNC_LO ..= FUNC_HI. */
const FUNC_LO = encodeFuncPtr(0);
const FUNC_HI = encodeFuncPtr(0xffff_ffff);

/** bpf_timer_init, bpf_timer_set_callback, bpf_timer_start and bpf_timer_cancel. */
export function timerHelpers<P extends TimerProg>(binding: RunBinding, t: TimerBinding<P>): Record<'init' | 'setCallback' | 'start' | 'cancel', HelperFn> {
  return {
    /** long bpf_timer_init(struct bpf_timer *timer, struct bpf_map *map, u64 flags). */
    init: (env, timerPtr, mapPtr, flags) => {
      const s = site(t, env, timerPtr);
      // A live timer map is registered under its own address: R2 naming it needs no registry lookup.
      const map = mapPtr === s.map.ptr ? s.map : mapArg(binding, mapPtr, env.insnIdx);
      if (map !== s.map) {
        throw new RunError(`bpf_timer_init: timer ${hex64(timerPtr)} is in map '${s.map.name}' but R2 is map '${map.name}' (insn ${env.insnIdx})`, env.insnIdx, EINVAL);
      }
      return ret(t.timers.timerInit(timerPtr, map, s.valuePtr, flags));
    },
    /** long bpf_timer_set_callback(struct bpf_timer *timer, void *callback_fn). */
    setCallback: (env, timerPtr, fn) => {
      if (fn < FUNC_LO || fn > FUNC_HI) {
        site(t, env, timerPtr); // a bad R1 is reported first
        throw new RunError(`bpf_timer_set_callback: R2 ${hex64(fn)} is not a function pointer (insn ${env.insnIdx})`, env.insnIdx, EINVAL);
      }
      return checked(t, env, timerPtr, t.timers.timerSetCallback(timerPtr, t.prog(), fn));
    },
    /** long bpf_timer_start(struct bpf_timer *timer, u64 nsecs, u64 flags), on the run's CPU. */
    start: (env, timerPtr, nsecs, flags) => checked(t, env, timerPtr, t.timers.timerStart(timerPtr, nsecs, flags, binding.run().cpu)),
    /** long bpf_timer_cancel(struct bpf_timer *timer). */
    cancel: (env, timerPtr) => checked(t, env, timerPtr, t.timers.timerCancel(timerPtr)),
  };
}

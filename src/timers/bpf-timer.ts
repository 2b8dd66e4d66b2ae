/**
 * The bpf_timer state machine with Linux 6.18 semantics (kernel/bpf/helpers.c: bpf_timer_init,
 * __bpf_async_set_callback, bpf_timer_start, bpf_timer_cancel, bpf_timer_cb,
 * bpf_timer_cancel_and_free; kernel/time/hrtimer.c for expiry arithmetic). See
 * shared/spec/bpf-timer.md §2–§4.
 *
 * A slot is identified by the address of its `struct bpf_timer` field (a bigint in the one address
 * space): while an element lives the address names it uniquely, and every way an element dies
 * (delete, replacing update, LRU eviction, map free, uref drop) calls `freeTimer` first, so a
 * recycled address always starts uninitialised. Timer state is never stored in the value bytes.
 *
 * Execution model: one virtual CPU runs timer callbacks one at a time, never synchronously inside
 * a helper (the clock fires them from advance() or the host event loop). Hence "a callback running
 * on another CPU" never happens: cancel and free never have to wait, and the mutual-cancel rule
 * (§2.4 step 4) is modelled with the kernel's `cancelling` counter but cannot trigger.
 * Works in node / browser.
 */
import { EBUSY, EDEADLK, EINVAL, EPERM } from '../uapi/errno.ts';
import {
  BPF_F_TIMER_ABS, BPF_F_TIMER_CPU_PIN, CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME,
} from '../uapi/bpf.ts';
import { lo32 } from '../util/u64.ts';
import type { Clock } from './clock.ts';
import { KTIME_MAX, TimerEntry } from './timer-queue.ts';

/** The kernel's MAX_CLOCKS: bpf_timer_init's flags carry a clock id below it and nothing else. */
const MAX_CLOCKS = 16n;
const START_FLAGS = BigInt(BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN);

/**
 * A BPF program as a timer holds it. `ref` is called when a timer starts holding the program
 * (set_callback), `unref` when it stops (cancel, free, or another program's set_callback). The
 * runtime keeps the program alive while references are held (spec B28, B31, B32).
 */
export interface TimerProg {
  ref(): void;
  unref(): void;
}

/**
 * Runs a timer callback: the runtime calls the BPF subprogram `callbackFn` of `prog` with
 * R1 = map, R2 = key pointer (for arrays a u32 index it materialises, for hash maps the stored key;
 * spec §4.1, §5.4) and R3 = `valuePtr`, on virtual CPU `cpu`. The return value is ignored (the
 * verifier proved it is 0).
 */
export type TimerInvoker<M, P> = (callbackFn: bigint, prog: P, map: M, valuePtr: bigint, cpu: number) => void;

/** What BpfTimers needs from the runtime. */
export interface BpfTimersOptions<M, P> {
  readonly clock: Clock;
  readonly invoke: TimerInvoker<M, P>;
  /** Whether user space holds a reference (fd, pin) on `map`: the kernel's map->usercnt != 0. */
  mapHasUserRefs(map: M): boolean;
}

/** A snapshot of one initialised slot, for tests and introspection. */
export interface TimerInfo<M, P> {
  readonly map: M;
  readonly valuePtr: bigint;
  /** The clock id given to bpf_timer_init (0, 1 or 7). */
  readonly clockId: number;
  /** The program holding a reference, undefined in state I (no callback). */
  readonly prog: P | undefined;
  readonly callbackFn: bigint | undefined;
  /** Queued, including timers armed for "never". */
  readonly pending: boolean;
  /** Expiry on the CLOCK_MONOTONIC timeline (KTIME_MAX: never), when pending. */
  readonly expiresNs: bigint | undefined;
  /** Its callback is executing now. */
  readonly running: boolean;
  /** CPU of the last bpf_timer_start: where the callback runs. */
  readonly cpu: number;
  /** The last start had BPF_F_TIMER_CPU_PIN. */
  readonly pinned: boolean;
}

/** The control block of an initialised timer (the kernel's struct bpf_hrtimer). */
class TimerState<M, P> {
  readonly key: bigint;
  readonly map: M;
  readonly valuePtr: bigint;
  readonly clockId: number;
  readonly entry: TimerEntry;
  prog: P | undefined = undefined;
  callbackFn: bigint | undefined = undefined;
  /** In-flight cancellations of this timer issued from timer callbacks (§2.4 step 4). */
  cancelling = 0;
  cpu = 0;
  pinned = false;

  constructor(key: bigint, map: M, valuePtr: bigint, clockId: number, fire: (s: TimerState<M, P>) => void) {
    this.key = key;
    this.map = map;
    this.valuePtr = valuePtr;
    this.clockId = clockId;
    this.entry = new TimerEntry(() => fire(this));
  }
}

/**
 * ktime_add_safe() (kernel/time/hrtimer.c): s64 addition that saturates to KTIME_MAX when the sum
 * is negative or overflows.
 */
export function ktimeAddSafe(lhs: bigint, rhs: bigint): bigint {
  const res = BigInt.asIntN(64, lhs + rhs);
  return res < 0n || res < lhs || res < rhs ? KTIME_MAX : res;
}

/** Every bpf_timer of one runtime. Helper-facing methods return 0 / 1 / -errno as numbers. */
export class BpfTimers<M extends object, P extends TimerProg> {
  readonly #clock: Clock;
  readonly #invoke: TimerInvoker<M, P>;
  readonly #mapHasUserRefs: (map: M) => boolean;
  readonly #slots = new Map<bigint, TimerState<M, P>>();
  readonly #byMap = new Map<M, Set<TimerState<M, P>>>();
  /** The timer whose callback is executing (the kernel's per-CPU hrtimer_running). */
  #running: TimerState<M, P> | undefined = undefined;

  constructor(options: BpfTimersOptions<M, P>) {
    this.#clock = options.clock;
    this.#invoke = options.invoke;
    this.#mapHasUserRefs = (m) => options.mapHasUserRefs(m);
  }

  /**
   * bpf_timer_init(timer, map, flags). `valuePtr` is the start of the value holding the timer
   * (timer address − the map's timer offset). Order of checks as in 6.18: flags (-EINVAL), already
   * initialised (-EBUSY), map without user references (-EPERM). Allocation failure (-ENOMEM) is
   * not emulated.
   */
  timerInit(timerPtr: bigint, map: M, valuePtr: bigint, flags: bigint): number {
    const f = BigInt.asUintN(64, flags);
    if (f >= MAX_CLOCKS) return -EINVAL;
    const clockId = lo32(f); // f < 16 here
    // Like timerfd, minus the _ALARM clocks.
    if (clockId !== CLOCK_MONOTONIC && clockId !== CLOCK_REALTIME && clockId !== CLOCK_BOOTTIME) return -EINVAL;
    if (this.#slots.has(timerPtr)) return -EBUSY;
    // Maps with timers must be held by user space or pinned, or nothing would ever free the timer
    // (the v4 cover-letter scenario, spec §3.5).
    if (!this.#mapHasUserRefs(map)) return -EPERM;
    const state = new TimerState<M, P>(timerPtr, map, valuePtr, clockId, (s) => this.#fire(s));
    this.#slots.set(timerPtr, state);
    let set = this.#byMap.get(map);
    if (set === undefined) this.#byMap.set(map, (set = new Set()));
    set.add(state);
    return 0;
  }

  /**
   * bpf_timer_set_callback(timer, callback_fn) called by program `prog`. Takes one reference on
   * `prog` when it differs from the program already held (and drops that one); the same program
   * changing callbacks keeps its single reference. Does not arm or re-time the timer.
   */
  timerSetCallback(timerPtr: bigint, prog: P, callbackFn: bigint): number {
    const s = this.#slots.get(timerPtr);
    if (s === undefined) return -EINVAL;
    if (!this.#mapHasUserRefs(s.map)) return -EPERM;
    if (s.prog !== prog) {
      prog.ref(); // new reference first, as the kernel does (bpf_prog_inc_not_zero, then put)
      s.prog?.unref();
      s.prog = prog;
    }
    s.callbackFn = callbackFn;
    return 0;
  }

  /**
   * bpf_timer_start(timer, nsecs, flags) on virtual CPU `cpu`. Flags other than ABS | CPU_PIN are
   * refused before the slot is looked at; a slot without a program (never set, or cleared by
   * cancel) is -EINVAL. A pending timer gets its expiry replaced (it fires once, at the new time).
   */
  timerStart(timerPtr: bigint, nsecs: bigint, flags: bigint, cpu: number): number {
    const f = BigInt.asUintN(64, flags);
    if ((f & ~START_FLAGS) !== 0n) return -EINVAL;
    const s = this.#slots.get(timerPtr);
    if (s === undefined || s.prog === undefined) return -EINVAL;
    this.#clock.arm(s.entry, this.#expiry(s, BigInt.asIntN(64, nsecs), (f & BigInt(BPF_F_TIMER_ABS)) !== 0n));
    s.cpu = cpu;
    s.pinned = (f & BigInt(BPF_F_TIMER_CPU_PIN)) !== 0n;
    return 0;
  }

  /**
   * bpf_timer_cancel(timer): -EINVAL when uninitialised; -EDEADLK from the timer's own callback
   * (nothing changes); otherwise drops the callback and the program reference, dequeues, and
   * returns 1 if the timer was pending, else 0.
   */
  timerCancel(timerPtr: bigint): number {
    const s = this.#slots.get(timerPtr);
    if (s === undefined) return -EINVAL;
    const cur = this.#running;
    // Cancelling our own timer would wait for ourselves (hrtimer_cancel waits for the callback).
    if (cur === s) return -EDEADLK;
    // Only cancellations issued from callbacks are counted: a callback being cancelled must not
    // in turn wait on its canceller. With callbacks run one at a time, cur.cancelling is always 0
    // here; the counter is kept so the rule is in place once several virtual CPUs run callbacks.
    const fromCallback = cur !== undefined;
    if (fromCallback) {
      s.cancelling++;
      if (cur.cancelling !== 0) {
        s.cancelling--;
        return -EDEADLK;
      }
    }
    this.#dropProg(s);
    const wasPending = this.#clock.cancel(s.entry);
    if (fromCallback) s.cancelling--;
    return wasPending ? 1 : 0;
  }

  /**
   * The map-driven free path (bpf_timer_cancel_and_free): when the element holding the timer is
   * deleted, replaced, evicted or freed, or the map's user references drop to 0. Drops the program
   * reference, uninitialises the slot and dequeues the timer. Nothing for an uninitialised slot.
   *
   * From inside a callback the kernel defers the hrtimer cancel to a workqueue; a freed timer that
   * expires before that work runs finds no callback and runs nothing, so dequeuing at once is
   * observably the same. A callback that is running (its own element freed) runs to completion.
   */
  freeTimer(timerPtr: bigint): void {
    const s = this.#slots.get(timerPtr);
    if (s === undefined) return;
    this.#slots.delete(timerPtr);
    const set = this.#byMap.get(s.map);
    if (set !== undefined) {
      set.delete(s);
      if (set.size === 0) this.#byMap.delete(s.map);
    }
    this.#dropProg(s);
    this.#clock.cancel(s.entry);
  }

  /**
   * The map's user references dropped to 0 (map_release_uref): free every timer of the map.
   * Afterwards bpf_timer_init on it returns -EPERM until a user reference is taken again.
   */
  releaseMap(map: M): void {
    const set = this.#byMap.get(map);
    if (set === undefined) return;
    for (const s of [...set]) this.freeTimer(s.key);
  }

  /** Free every timer (runtime shutdown): all program references are dropped. */
  freeAll(): void {
    for (const key of [...this.#slots.keys()]) this.freeTimer(key);
  }

  /** Number of initialised slots. */
  get count(): number {
    return this.#slots.size;
  }

  /** Number of initialised slots of `map`. */
  countOf(map: M): number {
    return this.#byMap.get(map)?.size ?? 0;
  }

  /** The timer address whose callback is executing now, if any. */
  get runningTimer(): bigint | undefined {
    return this.#running?.key;
  }

  /** A snapshot of the slot at `timerPtr`; undefined when uninitialised (state U). */
  inspect(timerPtr: bigint): TimerInfo<M, P> | undefined {
    const s = this.#slots.get(timerPtr);
    if (s === undefined) return undefined;
    const pending = s.entry.queued;
    return {
      map: s.map, valuePtr: s.valuePtr, clockId: s.clockId, prog: s.prog, callbackFn: s.callbackFn,
      pending, expiresNs: pending ? s.entry.expiresNs : undefined, running: this.#running === s,
      cpu: s.cpu, pinned: s.pinned,
    };
  }

  /**
   * The expiry on the monotonic timeline, as hrtimer_start_range_ns computes it. bpf_timer sets its
   * hrtimer up in relative mode, which moves CLOCK_REALTIME timers to the monotonic base: an ABS
   * time for a REALTIME timer is read on the MONOTONIC timeline (spec §2.3). BOOTTIME keeps its own
   * timeline. A relative time is added with ktime_add_safe: negative sums and overflows saturate to
   * KTIME_MAX (never fires, still pending). An absolute time is taken as it is, with no saturation:
   * a negative one is in the past and fires at once (confirmed on 6.18; the spec's B22 said it never
   * fires).
   */
  #expiry(s: TimerState<M, P>, nsecs: bigint, abs: boolean): bigint {
    const monoNow = this.#clock.nowNs(CLOCK_MONOTONIC);
    const baseNow = s.clockId === CLOCK_BOOTTIME ? this.#clock.nowNs(CLOCK_BOOTTIME) : monoNow;
    const onBase = abs ? nsecs : ktimeAddSafe(nsecs, baseNow);
    if (onBase === KTIME_MAX) return KTIME_MAX;
    return onBase - (baseNow - monoNow);
  }

  #dropProg(s: TimerState<M, P>): void {
    const prog = s.prog;
    if (prog === undefined) return;
    s.prog = undefined;
    s.callbackFn = undefined;
    prog.unref();
  }

  /** bpf_timer_cb(): run the current callback once; never re-arms by itself (HRTIMER_NORESTART). */
  #fire(s: TimerState<M, P>): void {
    // The callback pointer is read at expiry: the one set last wins, and none (cancelled) runs nothing.
    const fn = s.callbackFn;
    const prog = s.prog;
    if (fn === undefined || prog === undefined || this.#slots.get(s.key) !== s) return;
    const prev = this.#running;
    this.#running = s;
    // The kernel frees a program only after an RCU grace period, so a callback that frees its own
    // timer (dropping the last reference) still runs to completion: hold a reference meanwhile.
    prog.ref();
    try {
      this.#invoke(fn, prog, s.map, s.valuePtr, s.cpu);
    } finally {
      this.#running = prev;
      prog.unref();
    }
  }
}

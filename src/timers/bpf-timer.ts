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
import { ADDR_BASE } from '../vm/memory.ts';
import type { Clock } from './clock.ts';
import { KTIME_MAX, TimerEntry } from './timer-queue.ts';

/** The kernel's MAX_CLOCKS: bpf_timer_init's flags carry a clock id below it and nothing else. */
const MAX_CLOCKS = 16n;
/**
 * Timer addresses are keyed by numbers: Map operations on bigint keys were a large share of
 * bpf_timer_init in profiles, and `address - ADDR_BASE`, the offset in tsbpf's one address space,
 * is a small integer, the cheapest key. Exact for every address of magnitude below 2^53; larger
 * ones (never an address: those are below 2^33) cannot hold a timer.
 */
const KEY_BASE = Number(ADDR_BASE);
/**
 * The slot key of `timerPtr`, or NaN when its magnitude is 2^53 or more (Number() rounds
 * monotonically and 2^53 is a double, so the rounded value tells).
 */
function slotKey(timerPtr: bigint): number {
  const n = Number(timerPtr);
  return n < 2 ** 53 && n > -(2 ** 53) ? n - KEY_BASE : Number.NaN;
}

/** The clocks bpf_timer_init accepts (all below MAX_CLOCKS), and the same as flags values. */
const INIT_CLOCK_IDS = [CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME].filter((c) => BigInt(c) < MAX_CLOCKS);
const INIT_CLOCK_FLAGS = INIT_CLOCK_IDS.map(BigInt);
/** The flags bpf_timer_start knows; any other bit is -EINVAL. */
const START_FLAGS = BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN;
/** The two flags are bits 0 and 1, so every value up to START_FLAGS is a valid combination. */
const START_FLAGS_MAX = BigInt(START_FLAGS);
/** bpf_timer_start's u64 flags as a number, or -1 when a bit it does not know is set. */
function startFlags(flags: bigint): number {
  return flags >= 0n && flags <= START_FLAGS_MAX ? Number(flags) : -1;
}

const U64_MAX = (1n << 64n) - 1n;
/** BigInt.asUintN(64, x), skipped for the values helpers pass (already u64). */
const asU64 = (x: bigint): bigint => (x >= 0n && x <= U64_MAX ? x : BigInt.asUintN(64, x));
/** s64 range: nsecs already in it need no BigInt.asIntN. */
const S64_MIN = -(1n << 63n);

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

/**
 * The control block of an initialised timer (the kernel's struct bpf_hrtimer). It is its own
 * queue entry, so initialising a timer allocates one object and arming it none.
 */
class TimerState<M, P> extends TimerEntry {
  readonly key: bigint;
  /** `key` as a number (see KEY_BASE): the index of #slots. */
  readonly slot: number;
  readonly map: M;
  readonly valuePtr: bigint;
  readonly clockId: number;
  /** The owner's firing routine (one function shared by every timer of a BpfTimers). */
  readonly #onFire: (s: TimerState<M, P>) => void;
  prog: P | undefined = undefined;
  callbackFn: bigint | undefined = undefined;
  /** In-flight cancellations of this timer issued from timer callbacks (§2.4 step 4). */
  cancelling = 0;
  cpu = 0;
  pinned = false;
  /** Still initialised: false once freed (the slot's address may then name a new control block). */
  live = true;
  /** Neighbours in the list of its map's timers (see MapTimers). */
  prevOfMap: TimerState<M, P> | undefined = undefined;
  nextOfMap: TimerState<M, P> | undefined = undefined;

  constructor(key: bigint, slot: number, map: M, valuePtr: bigint, clockId: number, onFire: (s: TimerState<M, P>) => void) {
    super();
    this.key = key;
    this.slot = slot;
    this.map = map;
    this.valuePtr = valuePtr;
    this.clockId = clockId;
    this.#onFire = onFire;
  }

  override fire(): void {
    this.#onFire(this);
  }
}

/** The initialised timers of one map, as a doubly linked list through the control blocks. */
interface MapTimers<M, P> {
  head: TimerState<M, P> | undefined;
  count: number;
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
  /** The initialised slots by the number key of their address (KEY_BASE). */
  readonly #slots = new Map<number, TimerState<M, P>>();
  readonly #byMap = new Map<M, MapTimers<M, P>>();
  /**
   * The control block found last, always a live one: programs call init, set_callback and start
   * on one timer in a row, so most lookups end here without hashing a bigint.
   */
  #last: TimerState<M, P> | undefined = undefined;
  /** The timer whose callback is executing (the kernel's per-CPU hrtimer_running). */
  #running: TimerState<M, P> | undefined = undefined;
  readonly #onFire = (s: TimerState<M, P>): void => this.#fire(s);

  constructor(options: BpfTimersOptions<M, P>) {
    this.#clock = options.clock;
    this.#invoke = options.invoke;
    this.#mapHasUserRefs = (m) => options.mapHasUserRefs(m);
  }

  /** The control block of the initialised slot at `timerPtr`, or undefined (state U). */
  #lookup(timerPtr: bigint): TimerState<M, P> | undefined {
    const last = this.#last;
    if (last !== undefined && last.key === timerPtr) return last;
    const slot = slotKey(timerPtr);
    if (Number.isNaN(slot)) return undefined; // no timer can live there
    const s = this.#slots.get(slot);
    if (s !== undefined) this.#last = s;
    return s;
  }

  /** Whether the slot at `timerPtr` is initialised (a live bpf_hrtimer is attached to it). */
  isInitialised(timerPtr: bigint): boolean {
    return this.#lookup(timerPtr) !== undefined;
  }

  /**
   * bpf_timer_init(timer, map, flags). `valuePtr` is the start of the value holding the timer
   * (timer address − the map's timer offset). Order of checks as in 6.18: flags (-EINVAL), already
   * initialised (-EBUSY), map without user references (-EPERM). Allocation failure (-ENOMEM) is
   * not emulated.
   * @throws {RangeError} for a timer address of magnitude 2^53 or more (no tsbpf address is).
   */
  timerInit(timerPtr: bigint, map: M, valuePtr: bigint, flags: bigint): number {
    // A clock id below MAX_CLOCKS and nothing else; of those, like timerfd minus the _ALARM clocks.
    const c = INIT_CLOCK_FLAGS.indexOf(asU64(flags));
    if (c < 0) return -EINVAL;
    const clockId = INIT_CLOCK_IDS[c]!;
    const slot = slotKey(timerPtr);
    if (this.#last?.key === timerPtr || this.#slots.has(slot)) return -EBUSY; // (NaN is never a key)
    // Maps with timers must be held by user space or pinned, or nothing would ever free the timer
    // (the v4 cover-letter scenario, spec §3.5).
    if (!this.#mapHasUserRefs(map)) return -EPERM;
    if (Number.isNaN(slot)) throw new RangeError(`bpf_timer_init: timer address ${timerPtr} is not below 2^53`);
    const state = new TimerState<M, P>(timerPtr, slot, map, valuePtr, clockId, this.#onFire);
    this.#slots.set(slot, state);
    this.#last = state;
    let list = this.#byMap.get(map);
    if (list === undefined) this.#byMap.set(map, (list = { head: undefined, count: 0 }));
    const head = list.head;
    state.nextOfMap = head;
    if (head !== undefined) head.prevOfMap = state;
    list.head = state;
    list.count++;
    return 0;
  }

  /**
   * bpf_timer_set_callback(timer, callback_fn) called by program `prog`. Takes one reference on
   * `prog` when it differs from the program already held (and drops that one); the same program
   * changing callbacks keeps its single reference. Does not arm or re-time the timer.
   */
  timerSetCallback(timerPtr: bigint, prog: P, callbackFn: bigint): number {
    const s = this.#lookup(timerPtr);
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
    const fl = startFlags(asU64(flags));
    if (fl < 0) return -EINVAL;
    const s = this.#lookup(timerPtr);
    if (s === undefined || s.prog === undefined) return -EINVAL;
    const ns = nsecs >= S64_MIN && nsecs <= KTIME_MAX ? nsecs : BigInt.asIntN(64, nsecs);
    this.#clock.arm(s, this.#expiry(s, ns, (fl & BPF_F_TIMER_ABS) !== 0));
    s.cpu = cpu;
    s.pinned = (fl & BPF_F_TIMER_CPU_PIN) !== 0;
    return 0;
  }

  /**
   * bpf_timer_cancel(timer): -EINVAL when uninitialised; -EDEADLK from the timer's own callback
   * (nothing changes); otherwise drops the callback and the program reference, dequeues, and
   * returns 1 if the timer was pending, else 0.
   */
  timerCancel(timerPtr: bigint): number {
    const s = this.#lookup(timerPtr);
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
    const wasPending = this.#clock.cancel(s);
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
    const s = this.#lookup(timerPtr);
    if (s === undefined) return;
    this.#slots.delete(s.slot);
    s.live = false;
    if (this.#last === s) this.#last = undefined;
    const list = this.#byMap.get(s.map)!; // every live control block is on its map's list
    const { prevOfMap: prev, nextOfMap: next } = s;
    if (prev === undefined) list.head = next;
    else prev.nextOfMap = next;
    if (next !== undefined) next.prevOfMap = prev;
    s.prevOfMap = s.nextOfMap = undefined;
    if (--list.count === 0) this.#byMap.delete(s.map);
    this.#dropProg(s);
    this.#clock.cancel(s);
  }

  /**
   * The map's user references dropped to 0 (map_release_uref): free every timer of the map.
   * Afterwards bpf_timer_init on it returns -EPERM until a user reference is taken again.
   */
  releaseMap(map: M): void {
    // The list is read again after each free: dropping a program reference may free the program,
    // its maps and their timers, this map's included.
    for (let list = this.#byMap.get(map); list?.head !== undefined; list = this.#byMap.get(map)) this.freeTimer(list.head.key);
  }

  /** Free every timer (runtime shutdown): all program references are dropped. */
  freeAll(): void {
    for (const s of [...this.#slots.values()]) this.freeTimer(s.key);
  }

  /** Number of initialised slots. */
  get count(): number {
    return this.#slots.size;
  }

  /** Number of initialised slots of `map`. */
  countOf(map: M): number {
    return this.#byMap.get(map)?.count ?? 0;
  }

  /** The timer address whose callback is executing now, if any. */
  get runningTimer(): bigint | undefined {
    return this.#running?.key;
  }

  /** A snapshot of the slot at `timerPtr`; undefined when uninitialised (state U). */
  inspect(timerPtr: bigint): TimerInfo<M, P> | undefined {
    const s = this.#lookup(timerPtr);
    if (s === undefined) return undefined;
    const pending = s.queued;
    return {
      map: s.map, valuePtr: s.valuePtr, clockId: s.clockId, prog: s.prog, callbackFn: s.callbackFn,
      pending, expiresNs: pending ? s.expiresNs : undefined, running: this.#running === s,
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
    // Reading a clock has no side effect, so the common case reads none.
    if (abs && s.clockId !== CLOCK_BOOTTIME) return nsecs;
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
    if (fn === undefined || prog === undefined || !s.live) return;
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

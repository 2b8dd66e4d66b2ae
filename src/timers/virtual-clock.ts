/**
 * A clock whose time moves only when asked: tests, simulations and the CLI's default. Firing order
 * is deterministic: by expiry, then by arming order (the kernel's timerqueue order), and a timer
 * armed by a callback during an advance fires in that same advance if it is due. Works in node /
 * browser.
 */
import { BpfError } from '../util/errors.ts';
import { EBUSY, EINVAL, ELOOP } from '../uapi/errno.ts';
import { CLOCK_MONOTONIC } from '../uapi/bpf.ts';
import { ClockViews, type Clock, type ClockViewOptions } from './clock.ts';
import { KTIME_MAX, TimerQueue, type TimerEntry } from './timer-queue.ts';

/** Default monotonic time of a new VirtualClock: 1000 s of "uptime", so now − 1 s is still positive. */
export const DEFAULT_VIRTUAL_START_NS = 1_000_000_000_000n;
/** Default CLOCK_REALTIME of a new VirtualClock: 2023-11-14T22:13:20Z. */
export const DEFAULT_VIRTUAL_REALTIME_NS = 1_700_000_000_000_000_000n;
/** Default bound on the firings of one advance() or runUntilIdle() call. */
export const DEFAULT_MAX_FIRINGS = 1_000_000;

/** Options of a VirtualClock. */
export interface VirtualClockOptions extends ClockViewOptions {
  /** CLOCK_MONOTONIC at construction. Default DEFAULT_VIRTUAL_START_NS. */
  readonly startNs?: bigint;
  /** CLOCK_REALTIME at construction. Default DEFAULT_VIRTUAL_REALTIME_NS. */
  readonly realtimeNs?: bigint;
  /**
   * Guard against timers that never let time reach its target (a callback re-arming itself for
   * 0 ns would loop forever at one instant): the most callbacks one advance() or runUntilIdle()
   * call may fire. Default DEFAULT_MAX_FIRINGS.
   */
  readonly maxFirings?: number;
}

/** Outcome of VirtualClock.runUntilIdle. */
export interface RunUntilIdleResult {
  /** Timers fired by this call. */
  readonly fired: number;
  /** True when no timer that can fire is left queued (timers armed for "never" do not count). */
  readonly idle: boolean;
}

/**
 * advance() would have fired more than `maxFirings` timers: a timer keeps re-arming itself without
 * letting time reach the target. errno ELOOP. The clock is left at the last firing's expiry and
 * every timer state is consistent.
 */
export class TimerLivelockError extends BpfError {
  readonly fired: number;
  constructor(fired: number, atNs: bigint) {
    super(ELOOP, `virtual clock: more than ${fired} timer firings in one advance, stopped at ${atNs} ns (a timer re-arms itself faster than time moves?)`);
    this.name = 'TimerLivelockError';
    this.fired = fired;
  }
}

/** A deterministic clock driven by advance() and runUntilIdle(). Works in node / browser. */
export class VirtualClock implements Clock {
  readonly views: ClockViews;
  readonly maxFirings: number;
  readonly #queue = new TimerQueue();
  #monoNs: bigint;
  #firing = false;
  #closed = false;

  constructor(options: VirtualClockOptions = {}) {
    this.#monoNs = options.startNs ?? DEFAULT_VIRTUAL_START_NS;
    if (this.#monoNs < 0n || this.#monoNs >= KTIME_MAX) throw new BpfError(EINVAL, 'virtual clock: startNs out of range');
    const realtime = options.realtimeNs ?? DEFAULT_VIRTUAL_REALTIME_NS;
    this.views = new ClockViews(realtime - this.#monoNs, options);
    this.maxFirings = options.maxFirings ?? DEFAULT_MAX_FIRINGS;
  }

  nowNs(clockId: number): bigint {
    return clockId === CLOCK_MONOTONIC ? this.#monoNs : this.views.view(clockId, this.#monoNs);
  }

  arm(entry: TimerEntry, expiresNs: bigint): void {
    if (this.#closed) return; // a closed runtime fires nothing, so arming is a no-op
    this.#queue.arm(entry, expiresNs);
  }

  cancel(entry: TimerEntry): boolean {
    return this.#queue.cancel(entry);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** After close nothing fires (queued timers are dropped, arming is a no-op); advance() still moves time. */
  close(): void {
    this.#closed = true;
    this.#queue.clear();
  }

  /** Queued timers, including those armed for "never". */
  get pendingCount(): number {
    return this.#queue.size;
  }

  /** The earliest expiry that can fire (CLOCK_MONOTONIC ns), or undefined when idle. */
  nextExpiryNs(): bigint | undefined {
    const head = this.#queue.peek();
    return head === undefined || head.expiresNs >= KTIME_MAX ? undefined : head.expiresNs;
  }

  /**
   * Move time forward by `ns`, firing every timer due up to the new time, each with the clock set
   * to its own expiry (or left where it is, for an expiry already in the past). Returns the number
   * of callbacks fired. Time saturates just below KTIME_MAX, so "never" timers never fire.
   * @throws {BpfError} EINVAL when ns < 0; EBUSY when called from a timer callback.
   * @throws {TimerLivelockError} after `maxFirings` firings in this call.
   */
  advance(ns: bigint): number {
    if (ns < 0n) throw new BpfError(EINVAL, `virtual clock: cannot advance by a negative time (${ns} ns)`);
    return this.advanceTo(this.#monoNs + ns);
  }

  /** As advance(), to an absolute CLOCK_MONOTONIC time; a time in the past only fires due timers. */
  advanceTo(targetNs: bigint): number {
    const target = targetNs < KTIME_MAX ? targetNs : KTIME_MAX - 1n;
    this.#enter();
    let fired = 0;
    try {
      for (;;) {
        const head = this.#queue.peek();
        if (head === undefined || head.expiresNs > target) break;
        if (fired >= this.maxFirings) throw new TimerLivelockError(fired, this.#monoNs);
        this.#fire(head);
        fired++;
      }
      if (target > this.#monoNs) this.#monoNs = target;
    } finally {
      this.#firing = false;
    }
    return fired;
  }

  /**
   * Fire timers in order, moving time to each expiry, until none that can fire is left. Stops
   * early, without throwing, after `maxFirings` firings or when the next expiry lies more than
   * `limitNs` ahead of the time at the call (time then moves to that limit).
   * @throws {BpfError} EBUSY when called from a timer callback.
   */
  runUntilIdle(options: { readonly limitNs?: bigint; readonly maxFirings?: number } = {}): RunUntilIdleResult {
    const maxFirings = options.maxFirings ?? this.maxFirings;
    const limit = options.limitNs === undefined ? KTIME_MAX - 1n : this.#monoNs + options.limitNs;
    const deadline = limit < KTIME_MAX ? limit : KTIME_MAX - 1n;
    this.#enter();
    let fired = 0;
    try {
      for (;;) {
        const head = this.#queue.peek();
        if (head === undefined || head.expiresNs >= KTIME_MAX) return { fired, idle: true };
        if (head.expiresNs > deadline) {
          if (deadline > this.#monoNs) this.#monoNs = deadline;
          return { fired, idle: false };
        }
        if (fired >= maxFirings) return { fired, idle: false };
        this.#fire(head);
        fired++;
      }
    } finally {
      this.#firing = false;
    }
  }

  fireDueNow(): number {
    if (this.#firing || this.#closed) return 0;
    // Called after every bpf_timer_start of a syscall program: the usual answer is "nothing due".
    const head = this.#queue.peek();
    if (head === undefined || head.expiresNs > this.#monoNs) return 0;
    return this.advanceTo(this.#monoNs);
  }

  #enter(): void {
    // A callback driving the clock would re-enter the queue mid-firing and break ordering.
    if (this.#firing) throw new BpfError(EBUSY, 'virtual clock: advance()/runUntilIdle() called from a timer callback');
    this.#firing = true;
  }

  #fire(head: TimerEntry): void {
    this.#queue.pop();
    if (head.expiresNs > this.#monoNs) this.#monoNs = head.expiresNs;
    head.fire();
  }
}

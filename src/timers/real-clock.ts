/**
 * A clock that follows the host's monotonic clock (performance.now(), anchored at construction,
 * with ns arithmetic in bigint). One host timer is armed for the earliest expiry and moved as the
 * queue changes; callbacks fire while the host event loop runs. setTimeout only has millisecond
 * granularity, so an expiry closer than `spinWindowNs` is waited for by polling on the event loop
 * (setImmediate, where the host has it): tens of microseconds late instead of up to a
 * millisecond, at the price of a busy core during that window only. This is the only place in
 * the core that uses host timers. Works in node / browser.
 */
import { BpfError } from '../util/errors.ts';
import { toSafeNumber } from '../util/u64.ts';
import { EINVAL } from '../uapi/errno.ts';
import { CLOCK_MONOTONIC } from '../uapi/bpf.ts';
import { ClockViews, type Clock, type ClockViewOptions } from './clock.ts';
import { KTIME_MAX, TimerQueue, type TimerEntry } from './timer-queue.ts';

/** setTimeout's largest delay (2^31 − 1 ms); longer delays would fire at once, so wake-ups are capped. */
const MAX_HOST_DELAY_MS = 0x7fff_ffff;
const NS_PER_MS = 1_000_000n;
/** Default RealClockOptions.spinWindowNs. */
export const DEFAULT_SPIN_WINDOW_NS = 2n * NS_PER_MS;

/** Options of a RealClock. */
export interface RealClockOptions extends ClockViewOptions {
  /** Host monotonic time in ms (fractional). Default globalThis.performance.now. */
  readonly now?: () => number;
  /** Host wall-clock time in ms since the epoch, read once at construction. Default Date.now. */
  readonly wallNow?: () => number;
  /** CLOCK_MONOTONIC at construction. Default: the host reading in ns (time since host start). */
  readonly startNs?: bigint;
  /**
   * Whether an armed host timer keeps a Node process alive. Default true: an armed timer keeps
   * the process running, as an armed kernel timer keeps firing. With nothing armed there is no
   * host timer at all, so the process can always exit then.
   */
  readonly keepAlive?: boolean;
  /**
   * Expiries closer than this are waited for by polling the event loop instead of setTimeout.
   * Default 2 ms (DEFAULT_SPIN_WINDOW_NS); 0 never polls (lateness up to about 1 ms).
   */
  readonly spinWindowNs?: bigint;
  /** Most callbacks fired in one host wake-up before yielding to the event loop. Default 10 000. */
  readonly maxFiringsPerWake?: number;
  /**
   * Receives an exception thrown by a timer callback (after the clock has re-armed its host
   * timer). Default: rethrow, which surfaces as an uncaught exception of the host timer.
   */
  readonly onError?: (error: unknown) => void;
}

type HostTimers = {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate?: (fn: () => void) => unknown;
  clearImmediate?: (handle: unknown) => void;
};

/** A clock on host time with one host timer. Works in node / browser. */
export class RealClock implements Clock {
  readonly views: ClockViews;
  readonly #queue = new TimerQueue();
  readonly #hostNow: () => number;
  readonly #anchorMs: number;
  readonly #anchorNs: bigint;
  readonly #keepAlive: boolean;
  readonly #maxFiringsPerWake: number;
  readonly #spinWindowNs: bigint;
  /** Whether #handle is a setImmediate handle (polling) rather than a setTimeout one. */
  #polling = false;
  readonly #onError: (error: unknown) => void;
  #handle: unknown = undefined;
  /** Monotonic time the host timer is set for; undefined when none is set. */
  #wakeAtNs: bigint | undefined = undefined;
  #firing = false;
  #closed = false;

  constructor(options: RealClockOptions = {}) {
    const perf = (globalThis as { performance?: { now(): number } }).performance;
    const now = options.now ?? (perf === undefined ? undefined : () => perf.now());
    if (now === undefined) throw new BpfError(EINVAL, 'real clock: no performance.now() on this host; pass options.now');
    this.#hostNow = now;
    this.#anchorMs = now();
    this.#anchorNs = options.startNs ?? msToNs(this.#anchorMs);
    const wallMs = (options.wallNow ?? Date.now)();
    this.views = new ClockViews(msToNs(wallMs) - this.#anchorNs, options);
    this.#keepAlive = options.keepAlive ?? true;
    this.#maxFiringsPerWake = options.maxFiringsPerWake ?? 10_000;
    this.#spinWindowNs = options.spinWindowNs ?? DEFAULT_SPIN_WINDOW_NS;
    this.#onError = options.onError ?? ((e) => { throw e; });
  }

  /** CLOCK_MONOTONIC now, in ns. */
  monotonicNs(): bigint {
    return this.#anchorNs + msToNs(this.#hostNow() - this.#anchorMs);
  }

  nowNs(clockId: number): bigint {
    const mono = this.monotonicNs();
    return clockId === CLOCK_MONOTONIC ? mono : this.views.view(clockId, mono);
  }

  arm(entry: TimerEntry, expiresNs: bigint): void {
    if (this.#closed) return; // nothing fires after close, so arming is a no-op
    this.#queue.arm(entry, expiresNs);
    this.#schedule();
  }

  cancel(entry: TimerEntry): boolean {
    const was = this.#queue.cancel(entry);
    // Only drop the host timer when nothing can fire any more (so the process may exit); an early
    // wake-up for a cancelled head is harmless and re-arms for the new head.
    if (was && !this.#firing && this.#nextFiniteExpiry() === undefined) this.#clearHost();
    return was;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queued timers, including those armed for "never". */
  get pendingCount(): number {
    return this.#queue.size;
  }

  /** True while a host timer is set (for tests of the exit-friendliness). */
  get hostTimerArmed(): boolean {
    return this.#handle !== undefined;
  }

  /** Cancel the host timer and drop every queued timer: nothing fires after this. */
  close(): void {
    this.#closed = true;
    this.#clearHost();
    this.#queue.clear();
  }

  #nextFiniteExpiry(): bigint | undefined {
    const head = this.#queue.peek();
    return head === undefined || head.expiresNs >= KTIME_MAX ? undefined : head.expiresNs;
  }

  #schedule(): void {
    if (this.#closed || this.#firing) return; // the firing loop schedules once at its end
    const next = this.#nextFiniteExpiry();
    if (next === undefined) {
      this.#clearHost();
      return;
    }
    if (this.#wakeAtNs !== undefined && this.#wakeAtNs <= next) return; // already waking in time
    this.#clearHost();
    const now = this.monotonicNs();
    let delayNs = next - now;
    if (delayNs < 0n) delayNs = 0n;
    const host = globalThis as unknown as HostTimers;
    let handle: unknown;
    if (delayNs < this.#spinWindowNs && host.setImmediate !== undefined) {
      // Poll: #wake fires what is due and schedules the next poll while the head is not yet due.
      handle = host.setImmediate(() => this.#wake());
      this.#polling = true;
      this.#wakeAtNs = now;
    } else {
      const cap = BigInt(MAX_HOST_DELAY_MS) * NS_PER_MS;
      // Wake early by the spin window, then poll; without polling round up, as setTimeout never
      // fires before its delay and waking early would only cost a re-arm.
      const target = delayNs > cap ? cap : delayNs - (host.setImmediate === undefined ? 0n : this.#spinWindowNs);
      const delayMs = toSafeNumber((target + NS_PER_MS - 1n) / NS_PER_MS);
      handle = host.setTimeout(() => this.#wake(), delayMs);
      this.#polling = false;
      this.#wakeAtNs = now + target;
    }
    // A poll stays referenced even without keepAlive: Node blocks in its poll phase (here, until
    // the next referenced timer) when every pending immediate is unreferenced, which would starve
    // the poll; a poll lasts at most the spin window, so it keeps the process alive that long only.
    if (!this.#keepAlive && !this.#polling) unref(handle);
    this.#handle = handle;
  }

  #clearHost(): void {
    if (this.#handle === undefined) return;
    const host = globalThis as unknown as HostTimers;
    if (this.#polling) host.clearImmediate?.(this.#handle);
    else host.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#wakeAtNs = undefined;
  }

  fireDueNow(): number {
    if (this.#firing || this.#closed) return 0;
    const { fired, errors } = this.#fireDue();
    this.#schedule();
    for (const e of errors) this.#onError(e);
    return fired;
  }

  #wake(): void {
    this.#handle = undefined;
    this.#wakeAtNs = undefined;
    if (this.#closed) return;
    const { errors } = this.#fireDue();
    this.#schedule();
    for (const e of errors) this.#onError(e);
  }

  /** Fires the due timers (at most maxFiringsPerWake), collecting what their callbacks threw. */
  #fireDue(): { fired: number; errors: unknown[] } {
    const errors: unknown[] = [];
    let fired = 0;
    this.#firing = true;
    try {
      for (; fired < this.#maxFiringsPerWake && !this.#closed; fired++) {
        const head = this.#queue.peek();
        // Re-read the host time for each timer: callbacks take real time.
        if (head === undefined || head.expiresNs > this.monotonicNs()) break;
        this.#queue.pop();
        try {
          head.fire();
        } catch (e) {
          errors.push(e);
        }
      }
    } finally {
      this.#firing = false;
    }
    return { fired, errors };
  }
}

function msToNs(ms: number): bigint {
  // Whole and fractional ms apart: ms * 1e6 would exceed 2^53 for wall-clock times (~1.7e18 ns).
  // performance.now() has at best µs-ish resolution, so rounding the fraction loses nothing real.
  const whole = Math.floor(ms);
  return BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
}

/** Node's Timeout has unref(); browsers return a number. Feature-check, never import node:*. */
function unref(handle: unknown): void {
  const h = handle as { unref?: () => unknown } | null;
  if (h !== null && typeof h === 'object' && typeof h.unref === 'function') h.unref();
}

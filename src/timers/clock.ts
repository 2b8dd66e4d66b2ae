/**
 * The runtime's notion of time: the `Clock` interface every time reader and timer goes through,
 * and the views of one monotonic reading as the kernel's clock ids.
 *
 * Model (kernel/time/timekeeping.c): every clock is the monotonic clock plus an offset.
 * - CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW: the monotonic time (no NTP slewing is modelled, so the
 *   two are equal).
 * - CLOCK_BOOTTIME (and _ALARM): monotonic + `bootOffsetNs`, the time spent suspended. Nothing here
 *   suspends, so the offset is constant (default 0, as on a machine never suspended).
 * - CLOCK_REALTIME (and _ALARM): monotonic + a realtime offset fixed when the clock is built (no
 *   clock steps are followed after that).
 * - CLOCK_TAI: realtime + `taiOffsetNs` (the kernel's tai_offset is 0 until adjtimex sets it,
 *   e.g. 37 s with chrony's leap-second table).
 * - CLOCK_MONOTONIC_COARSE / CLOCK_REALTIME_COARSE: the same clocks as of the last tick: the
 *   monotonic time rounded down to a multiple of the tick (1e9 / hz ns), plus the realtime offset
 *   for the realtime variant. bpf_ktime_get_coarse_ns reads CLOCK_MONOTONIC_COARSE.
 *
 * Timers are queued on the monotonic timeline; a CLOCK_BOOTTIME absolute expiry is converted by
 * its caller (bpf-timer.ts) using the current offset. Works in node / browser.
 */
import { BpfError } from '../util/errors.ts';
import { EINVAL } from '../uapi/errno.ts';
import {
  CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW,
  CLOCK_REALTIME, CLOCK_REALTIME_ALARM, CLOCK_REALTIME_COARSE, CLOCK_TAI,
} from '../uapi/bpf.ts';
import type { TimerEntry } from './timer-queue.ts';

/**
 * Time and timers for one runtime. Implementations: VirtualClock (time moves when asked) and
 * RealClock (follows the host). Works in node / browser.
 */
export interface Clock {
  /**
   * The current time of `clockId` in ns (see the module comment for how the ids relate).
   * @throws {BpfError} EINVAL for clock ids without a meaning here (CPU-time clocks, unknown ids),
   * as clock_gettime() does for invalid ids.
   */
  nowNs(clockId: number): bigint;
  /**
   * Queue `entry` to fire at `expiresNs` on the CLOCK_MONOTONIC timeline (KTIME_MAX: never). An
   * entry already queued is moved: it fires once, at the new time. Never fires synchronously.
   */
  arm(entry: TimerEntry, expiresNs: bigint): void;
  /** Dequeue `entry`; true when it was queued (armed and not yet fired). */
  cancel(entry: TimerEntry): boolean;
  /**
   * Fire, synchronously, the timers already due at the current time, as the kernel's timer
   * softirq does when it interrupts a running program. Does nothing from inside a timer callback
   * (the softirq does not nest) or after close. Returns the number of callbacks fired.
   */
  fireDueNow(): number;
  /** Stop: nothing fires afterwards, and no host resources stay held. Idempotent. */
  close(): void;
  readonly closed: boolean;
}

/** The offsets that turn a monotonic reading into the other clocks. */
export interface ClockViewOptions {
  /** CLOCK_BOOTTIME − CLOCK_MONOTONIC (time suspended). Default 0. Must be ≥ 0. */
  readonly bootOffsetNs?: bigint;
  /** CLOCK_TAI − CLOCK_REALTIME. Default 0 (the kernel's default tai_offset). */
  readonly taiOffsetNs?: bigint;
  /** Tick rate for the coarse clocks (CONFIG_HZ). Default 250, as Debian kernels. */
  readonly hz?: number;
}

/** Converts a monotonic reading into any supported clock id. Works in node / browser. */
export class ClockViews {
  readonly bootOffsetNs: bigint;
  readonly taiOffsetNs: bigint;
  readonly realtimeOffsetNs: bigint;
  readonly tickNs: bigint;

  /** `realtimeOffsetNs` is CLOCK_REALTIME − CLOCK_MONOTONIC. */
  constructor(realtimeOffsetNs: bigint, options: ClockViewOptions = {}) {
    const hz = options.hz ?? 250;
    if (!Number.isInteger(hz) || hz <= 0) throw new BpfError(EINVAL, `clock: hz must be a positive integer, got ${hz}`);
    const boot = options.bootOffsetNs ?? 0n;
    if (boot < 0n) throw new BpfError(EINVAL, 'clock: bootOffsetNs must be >= 0 (boot time never trails monotonic time)');
    this.bootOffsetNs = boot;
    this.taiOffsetNs = options.taiOffsetNs ?? 0n;
    this.realtimeOffsetNs = realtimeOffsetNs;
    this.tickNs = BigInt(Math.round(1e9 / hz));
  }

  /** The time of `clockId` when the monotonic clock reads `monoNs`. */
  view(clockId: number, monoNs: bigint): bigint {
    switch (clockId) {
      case CLOCK_MONOTONIC:
      case CLOCK_MONOTONIC_RAW:
        return monoNs;
      case CLOCK_BOOTTIME:
      case CLOCK_BOOTTIME_ALARM:
        return monoNs + this.bootOffsetNs;
      case CLOCK_REALTIME:
      case CLOCK_REALTIME_ALARM:
        return monoNs + this.realtimeOffsetNs;
      case CLOCK_TAI:
        return monoNs + this.realtimeOffsetNs + this.taiOffsetNs;
      case CLOCK_MONOTONIC_COARSE:
        return monoNs - (monoNs % this.tickNs);
      case CLOCK_REALTIME_COARSE:
        return monoNs - (monoNs % this.tickNs) + this.realtimeOffsetNs;
      default:
        throw new BpfError(EINVAL, `clock: unsupported clock id ${clockId}`);
    }
  }
}

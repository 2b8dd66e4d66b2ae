/**
 * @module timers
 * Time and bpf_timer: the Clock interface and its two implementations (VirtualClock: time moves
 * when asked, deterministic; RealClock: host time, one host timer), the timer queue they own (a
 * min-heap by expiry, then arming order), and the bpf_timer state machine with Linux 6.18
 * semantics (kernel/bpf/helpers.c, kernel/time/hrtimer.c; shared/spec/bpf-timer.md).
 * Imports only util/, uapi/ and vm/; never node:*, maps, helpers or runtime/ (maps and programs are
 * reached through injected interfaces). Works in node / browser.
 */
export { ClockViews, type Clock, type ClockViewOptions } from './clock.ts';
export {
  DEFAULT_MAX_FIRINGS, DEFAULT_VIRTUAL_REALTIME_NS, DEFAULT_VIRTUAL_START_NS, TimerLivelockError,
  VirtualClock, type RunUntilIdleResult, type VirtualClockOptions,
} from './virtual-clock.ts';
export { RealClock, type RealClockOptions } from './real-clock.ts';
export { KTIME_MAX, TimerEntry, TimerQueue } from './timer-queue.ts';
export {
  BpfTimers, ktimeAddSafe, type BpfTimersOptions, type TimerInfo, type TimerInvoker, type TimerProg,
} from './bpf-timer.ts';

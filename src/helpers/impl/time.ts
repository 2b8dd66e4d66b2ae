/**
 * Time helpers, all reading the runtime's clock (virtual or real): bpf_ktime_get_ns
 * (CLOCK_MONOTONIC), bpf_ktime_get_boot_ns (CLOCK_BOOTTIME), bpf_ktime_get_coarse_ns (the
 * monotonic clock at the last tick), bpf_ktime_get_tai_ns (CLOCK_TAI) and bpf_jiffies64.
 */
import type { HelperFn } from '../../vm/abi.ts';
import { CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_TAI } from '../../uapi/bpf.ts';
import type { HelperContext } from './context.ts';

/**
 * The kernel's jiffies start 5 minutes before they wrap 32 bits (INITIAL_JIFFIES =
 * (u32)(-300 * HZ)), to catch wrap bugs early; tsbpf counts from there too.
 */
export function initialJiffies(hz: number): bigint {
  return BigInt((-300 * hz) >>> 0);
}

export function timeHelpers(ctx: HelperContext): Record<'ktimeGetNs' | 'ktimeGetBootNs' | 'ktimeGetCoarseNs' | 'ktimeGetTaiNs' | 'jiffies64', HelperFn> {
  const tickNs = BigInt(Math.round(1e9 / ctx.hz));
  const jiffiesAtZero = initialJiffies(ctx.hz);
  const monotonic = (): bigint => ctx.clock.nowNs(CLOCK_MONOTONIC);
  return {
    ktimeGetNs: () => monotonic(),
    ktimeGetBootNs: () => ctx.clock.nowNs(CLOCK_BOOTTIME),
    // Coarse time advances once per tick: the monotonic time rounded down to a tick boundary.
    ktimeGetCoarseNs: () => monotonic() - (monotonic() % tickNs),
    ktimeGetTaiNs: () => ctx.clock.nowNs(CLOCK_TAI),
    jiffies64: () => jiffiesAtZero + monotonic() / tickNs,
  };
}

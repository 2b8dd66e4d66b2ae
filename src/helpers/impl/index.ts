/**
 * @module helpers/impl
 * Implementations of BPF helpers, by family, bound to a runtime's {@link HelperContext}. Map,
 * ring buffer, callback and timer helpers are bound by the runtime with its maps and timers.
 * Imports maps/, timers/, vm/ (memory and ABI), never runtime/. Works in node / browser.
 */
import type { HelperFn } from '../../vm/abi.ts';
import {
  BPF_FUNC_csum_diff, BPF_FUNC_get_current_comm, BPF_FUNC_get_current_pid_tgid, BPF_FUNC_get_current_uid_gid,
  BPF_FUNC_get_numa_node_id, BPF_FUNC_get_prandom_u32, BPF_FUNC_get_smp_processor_id, BPF_FUNC_jiffies64,
  BPF_FUNC_ktime_get_boot_ns, BPF_FUNC_ktime_get_coarse_ns, BPF_FUNC_ktime_get_ns, BPF_FUNC_ktime_get_tai_ns,
  BPF_FUNC_snprintf, BPF_FUNC_trace_printk, BPF_FUNC_trace_vprintk,
} from '../../uapi/helpers.ts';
import type { HelperContext } from './context.ts';
import { csumDiff } from './csum.ts';
import { taskHelpers } from './task.ts';
import { timeHelpers } from './time.ts';
import { traceHelpers } from './trace.ts';

export type { HelperContext, HelperClock, TaskIdentity } from './context.ts';
export { seededRandom } from './context.ts';

/** The helpers that need no maps: time, randomness, identity, printing, checksums. */
export function baseHelpers(ctx: HelperContext): Map<number, HelperFn> {
  const time = timeHelpers(ctx);
  const task = taskHelpers(ctx);
  const trace = traceHelpers(ctx);
  return new Map<number, HelperFn>([
    [BPF_FUNC_ktime_get_ns, time.ktimeGetNs],
    [BPF_FUNC_ktime_get_boot_ns, time.ktimeGetBootNs],
    [BPF_FUNC_ktime_get_coarse_ns, time.ktimeGetCoarseNs],
    [BPF_FUNC_ktime_get_tai_ns, time.ktimeGetTaiNs],
    [BPF_FUNC_jiffies64, time.jiffies64],
    [BPF_FUNC_get_prandom_u32, task.getPrandomU32],
    [BPF_FUNC_get_smp_processor_id, task.getSmpProcessorId],
    [BPF_FUNC_get_numa_node_id, task.getNumaNodeId],
    [BPF_FUNC_get_current_pid_tgid, task.getCurrentPidTgid],
    [BPF_FUNC_get_current_uid_gid, task.getCurrentUidGid],
    [BPF_FUNC_get_current_comm, task.getCurrentComm],
    [BPF_FUNC_trace_printk, trace.traceprintk],
    [BPF_FUNC_trace_vprintk, trace.tracevprintk],
    [BPF_FUNC_snprintf, trace.snprintf],
    [BPF_FUNC_csum_diff, csumDiff],
  ]);
}

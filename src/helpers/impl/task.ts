/**
 * Helpers that report where and as whom a program runs: bpf_get_prandom_u32,
 * bpf_get_smp_processor_id, bpf_get_numa_node_id, bpf_get_current_pid_tgid,
 * bpf_get_current_uid_gid and bpf_get_current_comm. There is no real task in tsbpf: the values
 * come from the runtime's configuration.
 */
import type { HelperFn } from '../../vm/abi.ts';
import { EINVAL } from '../../uapi/errno.ts';
import { u64 } from '../../util/u64.ts';
import type { HelperContext } from './context.ts';
import { writeMem } from './memory-access.ts';

/** TASK_COMM_LEN: the kernel's comm buffer, NUL included. */
export const TASK_COMM_LEN = 16;

export function taskHelpers(ctx: HelperContext): Record<'getPrandomU32' | 'getSmpProcessorId' | 'getNumaNodeId' | 'getCurrentPidTgid' | 'getCurrentUidGid' | 'getCurrentComm', HelperFn> {
  return {
    getPrandomU32: () => BigInt(ctx.randomU32() >>> 0),
    getSmpProcessorId: () => BigInt(ctx.cpu()),
    getNumaNodeId: () => BigInt(ctx.numaNode()),
    // tgid in the upper 32 bits, pid in the lower, as the kernel packs them.
    getCurrentPidTgid: () => (BigInt(ctx.task.tgid >>> 0) << 32n) | BigInt(ctx.task.pid >>> 0),
    getCurrentUidGid: () => (BigInt(ctx.task.gid >>> 0) << 32n) | BigInt(ctx.task.uid >>> 0),
    /**
     * long bpf_get_current_comm(void *buf, u32 size_of_buf): copies the comm, truncated to
     * size - 1 bytes and NUL-terminated (strscpy_pad: the rest zeroed); 0 on success.
     */
    getCurrentComm: (env, buf, size) => {
      const n = Number(size & 0xffff_ffffn);
      if (n === 0) return u64(BigInt(-EINVAL));
      const out = writeMem(env.memory, buf, n, env.insnIdx);
      out.fill(0);
      const comm = ctx.task.comm.slice(0, Math.min(TASK_COMM_LEN - 1, n - 1));
      for (let i = 0; i < comm.length; i++) out[i] = comm.charCodeAt(i) & 0xff;
      return 0n;
    },
  };
}

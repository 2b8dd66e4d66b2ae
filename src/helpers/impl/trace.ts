/**
 * bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf (kernel/bpf/helpers.c and
 * kernel/trace/bpf_trace.c, 6.18): format checks, argument limits and return values as the kernel
 * has them; the trace output goes to the runtime's sink instead of the trace pipe.
 */
import type { HelperFn } from '../../vm/abi.ts';
import { EINVAL } from '../../uapi/errno.ts';
import { u64 } from '../../util/u64.ts';
import type { HelperContext } from './context.ts';
import { parseFormat, renderFormat } from './printk-format.ts';
import { nofaultMemory, readCString, readMem, writeMem } from './memory-access.ts';

/** Arguments bpf_trace_printk takes after the format (MAX_TRACE_PRINTK_VARARGS). */
export const MAX_TRACE_PRINTK_VARARGS = 3;
/** Arguments bpf_trace_vprintk and bpf_snprintf take (MAX_BPRINTF_VARARGS). */
export const MAX_BPRINTF_VARARGS = 12;
/** Size of the kernel's output buffer for trace_printk (MAX_BPRINTF_BUF). */
export const MAX_BPRINTF_BUF = 1024;

const err = (errno: number): bigint => u64(BigInt(-errno));

/**
 * Format `fmtPtr` (NUL-terminated within `fmtSize` bytes, or within its region when the size is
 * not given) with `args`.
 */
function format(env: Parameters<HelperFn>[0], fmtPtr: bigint, fmtSize: number | undefined, args: readonly bigint[]): string | number {
  if (fmtSize !== undefined && fmtSize <= 0) return -EINVAL;
  const fmt = readCString(env.memory, fmtPtr, fmtSize, env.insnIdx);
  if (fmt === undefined) return -EINVAL;
  const pieces = parseFormat(fmt, args.length);
  if (typeof pieces === 'number') return pieces;
  return renderFormat(pieces, args, nofaultMemory(env.memory));
}

/** Truncate to what a buffer of `size` bytes holds with its NUL, as vsnprintf does. */
function fit(text: string, size: number): string {
  return size <= 0 ? '' : text.slice(0, size - 1);
}

/** Reads `dataLen` bytes of u64 arguments (vprintk, snprintf), or -EINVAL as the kernel checks them. */
function u64Args(env: Parameters<HelperFn>[0], ptr: bigint, dataLen: number): bigint[] | number {
  if (dataLen % 8 !== 0 || dataLen > MAX_BPRINTF_VARARGS * 8 || (dataLen !== 0 && ptr === 0n)) return -EINVAL;
  if (dataLen === 0) return [];
  const bytes = readMem(env.memory, ptr, dataLen, env.insnIdx);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: dataLen / 8 }, (_, i) => view.getBigUint64(i * 8, true));
}

export function traceHelpers(ctx: HelperContext): { traceprintk: HelperFn; tracevprintk: HelperFn; snprintf: HelperFn } {
  return {
    /** long bpf_trace_printk(const char *fmt, u32 fmt_size, ...): bytes written, or -EINVAL. */
    traceprintk: (env, fmt, fmtSize, a1, a2, a3) => {
      const text = format(env, fmt, Number(fmtSize & 0xffff_ffffn), [a1, a2, a3]);
      if (typeof text === 'number') return err(-text);
      ctx.trace(fit(text, MAX_BPRINTF_BUF));
      return BigInt(text.length);
    },
    /** long bpf_trace_vprintk(const char *fmt, u32 fmt_size, const void *data, u32 data_len). */
    tracevprintk: (env, fmt, fmtSize, data, dataLen) => {
      const args = u64Args(env, data, Number(dataLen & 0xffff_ffffn));
      if (typeof args === 'number') return err(-args);
      const text = format(env, fmt, Number(fmtSize & 0xffff_ffffn), args);
      if (typeof text === 'number') return err(-text);
      ctx.trace(fit(text, MAX_BPRINTF_BUF));
      return BigInt(text.length);
    },
    /** long bpf_snprintf(char *str, u32 str_size, const char *fmt, u64 *data, u32 data_len): length + 1. */
    snprintf: (env, str, strSize, fmt, data, dataLen) => {
      const args = u64Args(env, data, Number(dataLen & 0xffff_ffffn));
      if (typeof args === 'number') return err(-args);
      // The verifier guarantees fmt is a NUL-terminated constant string (ARG_PTR_TO_CONST_STR).
      const text = format(env, fmt, undefined, args);
      if (typeof text === 'number') return err(-text);
      const size = Number(strSize & 0xffff_ffffn);
      if (size > 0 && str !== 0n) {
        const out = writeMem(env.memory, str, size, env.insnIdx);
        const fitted = fit(text, size);
        for (let i = 0; i < fitted.length; i++) out[i] = fitted.charCodeAt(i);
        out[fitted.length] = 0;
      }
      return BigInt(text.length + 1);
    },
  };
}

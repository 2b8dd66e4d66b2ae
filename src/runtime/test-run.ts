/**
 * BPF_PROG_TEST_RUN (net/bpf/test_run.c, v6.18): the per-type entry, the kernel's refusals, and
 * the repeat loop (bpf_test_run: `repeat` 0 means 1; the duration is the mean per run, in ns).
 * Context layouts for XDP and skb programs live in xdp-run.ts and skb-run.ts.
 * Works in node / browser.
 */
import type { RedirectRecord, RunState } from '../helpers/impl/run-state.ts';
import { BpfError } from '../util/errors.ts';
import { EINVAL, ENOTSUPP } from '../uapi/errno.ts';
import { BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, BPF_PROG_TYPE_SYSCALL, progTypeName } from '../uapi/bpf.ts';
import type { Insn } from '../isa/insn.ts';
import { BPF_CALL, BPF_HELPER_CALL, BPF_JMP, BPF_X } from '../isa/opcodes.ts';
import { BPF_FUNC_tail_call } from '../uapi/helpers.ts';
import type { Engine } from './engine.ts';
import type { LoadedProgram } from './program.ts';
import { runSkb } from './skb-run.ts';
import { runXdp } from './xdp-run.ts';
import { ctxKindOf } from './ctx-layouts.ts';

/** Inputs of a test run (the fields of BPF_PROG_TEST_RUN tsbpf takes). */
export interface RunOptions {
  /** data_in: packet bytes (XDP, skb programs). */
  readonly data?: Uint8Array;
  /** ctx_in (and ctx_out): the context (xdp_md, __sk_buff, syscall arguments, raw tracepoint u64 args). */
  readonly ctx?: Uint8Array;
  /** How many times to run; 0 or absent: once. The kernel refuses it for syscall and raw tracepoint programs. */
  readonly repeat?: number;
  /**
   * The virtual CPU the run happens on (what bpf_get_smp_processor_id returns and which per-CPU
   * values the program sees); default the runtime's CPU. This is where the calling thread runs,
   * not the kernel's `test.cpu` field.
   */
  readonly cpu?: number;
}

/** Outputs of a test run. */
export interface RunResult {
  /** The program's return value (test.retval) as a signed 32-bit integer. */
  readonly retval: number;
  /** data_out: the packet after the run (XDP: from data_meta to data_end). */
  readonly dataOut?: Uint8Array;
  /** ctx_out / syscall ctx written back: present when a context was given. */
  readonly ctxOut?: Uint8Array;
  /** Mean duration of one run, ns (test.duration), as measured by the runtime's stopwatch. */
  readonly durationNs: number;
  /** The redirect the last run asked for, if any (recorded, not performed). */
  readonly redirect?: RedirectRecord;
}

/** BPF_MAX_FUNC_ARGS * sizeof(u64): the largest raw tracepoint context. */
const MAX_RAW_TP_CTX_BYTES = 12 * 8;
/** U16_MAX: the largest syscall program context. */
const MAX_SYSCALL_CTX_BYTES = 0xffff;

/** @internal Checks `repeat` and returns the iteration count (bpf_test_run: 0 means 1). */
export function repeatCount(repeat: number | undefined): number {
  const r = repeat ?? 0;
  if (!Number.isInteger(r) || r < 0 || r > 0xffff_ffff) throw new BpfError(EINVAL, `repeat must be a u32, got ${r}`);
  return r === 0 ? 1 : r;
}

/** @internal A fresh run state on the run's CPU. */
export function newRunState(prog: LoadedProgram, options: RunOptions, xdp?: RunState['xdp'], ingressIfindex?: number): RunState {
  const cpu = options.cpu ?? prog.runtime.defaultCpu;
  if (!Number.isInteger(cpu) || cpu < 0) throw new BpfError(EINVAL, `cpu must be a non-negative integer, got ${cpu}`);
  if (cpu >= prog.runtime.nCpus) throw new BpfError(EINVAL, `cpu ${cpu} is not one of the ${prog.runtime.nCpus} CPUs`);
  return { cpu, xdp, ingressIfindex, redirect: undefined, tailCalls: 0 };
}

/** Whether `insns` may call bpf_tail_call (directly, or through callx with any helper id). */
function mayTailCall(insns: readonly Insn[]): boolean {
  return insns.some((i) => i.code === (BPF_JMP | BPF_CALL | BPF_X) || (i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_HELPER_CALL && i.imm === BPF_FUNC_tail_call));
}

/** Engines whose repeat entry the test run may use (see repeatRun), by engine. */
const repeatable = new WeakMap<Engine, boolean>();

function canRepeatInEngine(engine: Engine): boolean {
  let ok = repeatable.get(engine);
  if (ok === undefined) {
    ok = engine.repeat !== undefined && !mayTailCall(engine.insns);
    repeatable.set(engine, ok);
  }
  return ok;
}

/**
 * @internal bpf_test_run: runs `count` times on `ctx`; the last return value and the mean
 * duration. Each run starts with no tail calls taken; programs that cannot tail call run the
 * whole loop in the engine (Engine.repeat), as the kernel's loop calls the JITed program, and the
 * others one run at a time through LoadedProgram.execute, which follows their tail calls.
 */
export function repeatRun(prog: LoadedProgram, state: RunState, ctx: bigint, count: number): { retval: number; durationNs: number } {
  const rt = prog.runtime;
  return rt.withRun(state, () => {
    let r0 = 0n;
    const engine = prog.engine;
    const start = rt.stopwatch();
    if (canRepeatInEngine(engine)) {
      state.tailCalls = 0;
      r0 = engine.repeat!([ctx], count);
    } else {
      for (let i = 0; i < count; i++) {
        state.tailCalls = 0;
        r0 = prog.execute(ctx);
      }
    }
    const durationNs = Math.max(0, Math.floor((rt.stopwatch() - start) / count));
    return { retval: Number(BigInt.asIntN(32, r0)), durationNs };
  });
}

/** BPF_PROG_TEST_RUN of `prog` (see RunOptions / RunResult). */
export function testRun(prog: LoadedProgram, options: RunOptions): RunResult {
  const ctxKind = ctxKindOf(prog.type);
  if (ctxKind === 'xdp') return runXdp(prog, options);
  if (ctxKind === 'skb') return runSkb(prog, options);
  switch (prog.type) {
    case BPF_PROG_TYPE_SYSCALL:
      return runSyscall(prog, options);
    case BPF_PROG_TYPE_RAW_TRACEPOINT:
    case BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE:
      return runRawTp(prog, options);
    default:
      // The kernel answers -ENOTSUPP for types without a test_run operation (kprobe, tracepoint,
      // perf_event, ...). fentry/fexit test runs call the kernel's bpf_fentry_test* functions the
      // program is attached to; tsbpf has no attachment, so it refuses them the same way.
      throw new BpfError(ENOTSUPP, `program '${prog.name}': BPF_PROG_TEST_RUN is not supported for ${progTypeName(prog.type) ?? prog.type} programs`);
  }
}

/**
 * bpf_prog_test_run_syscall: no data, no repeat; the context (at most U16_MAX bytes) is passed in
 * R1 and written back; without one R1 is NULL.
 */
function runSyscall(prog: LoadedProgram, options: RunOptions): RunResult {
  if (options.data !== undefined || (options.repeat ?? 0) !== 0) {
    throw new BpfError(EINVAL, `program '${prog.name}': syscall programs take no data and no repeat`);
  }
  const ctx = options.ctx ?? new Uint8Array(0);
  if (ctx.length > MAX_SYSCALL_CTX_BYTES) throw new BpfError(EINVAL, `program '${prog.name}': ctx of ${ctx.length} bytes exceeds ${MAX_SYSCALL_CTX_BYTES}`);
  return withCtxRegion(prog, ctx, true, (ptr) => {
    const state = newRunState(prog, options);
    return repeatRun(prog, state, ptr, 1);
  }, options.ctx !== undefined);
}

/**
 * bpf_prog_test_run_raw_tp: no data, no repeat; up to 12 u64 arguments as the (read-only) context.
 */
function runRawTp(prog: LoadedProgram, options: RunOptions): RunResult {
  if (options.data !== undefined || (options.repeat ?? 0) !== 0) {
    throw new BpfError(EINVAL, `program '${prog.name}': raw tracepoint programs take no data and no repeat`);
  }
  const ctx = options.ctx ?? new Uint8Array(0);
  if (ctx.length > MAX_RAW_TP_CTX_BYTES) throw new BpfError(EINVAL, `program '${prog.name}': ctx of ${ctx.length} bytes exceeds ${MAX_RAW_TP_CTX_BYTES}`);
  const r = withCtxRegion(prog, ctx, false, (ptr) => repeatRun(prog, newRunState(prog, options), ptr, 1), false);
  return r;
}

/** Runs `fn` with `bytes` in a fresh context region (NULL when empty); optionally returns the bytes after. */
function withCtxRegion(prog: LoadedProgram, bytes: Uint8Array, writable: boolean, fn: (ptr: bigint) => { retval: number; durationNs: number }, copyOut: boolean): RunResult {
  const mem = prog.runtime.memory;
  if (bytes.length === 0) return fn(0n);
  const region = mem.alloc(bytes.length, { kind: 'ctx', name: `${prog.name}.ctx`, writable });
  try {
    region.bytes().set(bytes);
    const r = fn(region.ptr);
    return copyOut ? { ...r, ctxOut: region.bytes().slice() } : r;
  } finally {
    mem.free(region);
  }
}

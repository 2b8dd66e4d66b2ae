/**
 * What helper implementations need from the runtime besides the address space: time, the
 * current CPU, randomness, the current task's identity, and a sink for trace output. The runtime
 * builds one per loaded object; tests build their own. Works in node / browser.
 */

/** The clock ids the time helpers read (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI). */
export interface HelperClock {
  nowNs(clockId: number): bigint;
}

/** The identity `bpf_get_current_*` report (configurable: there is no real task here). */
export interface TaskIdentity {
  readonly pid: number;
  readonly tgid: number;
  readonly uid: number;
  readonly gid: number;
  /** The task's command name; the kernel's comm holds at most 15 bytes plus NUL. */
  readonly comm: string;
}

export interface HelperContext {
  readonly clock: HelperClock;
  /** The virtual CPU the program runs on now. */
  cpu(): number;
  /** The NUMA node of the current CPU. */
  numaNode(): number;
  /** A pseudo-random u32 (seedable by the runtime for deterministic runs). */
  randomU32(): number;
  readonly task: TaskIdentity;
  /** Receives each line `bpf_trace_printk` / `bpf_trace_vprintk` write (no trailing newline added). */
  trace(message: string): void;
  /** Kernel tick rate for jiffies and coarse clocks (CONFIG_HZ); Debian kernels use 250. */
  readonly hz: number;
}

/** A deterministic PRNG (xorshift128+ over bigint-free 32-bit halves), for `randomU32`. */
export function seededRandom(seed: number): () => number {
  let s0 = (seed ^ 0x9e3779b9) >>> 0 || 1;
  let s1 = (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 2;
  let s2 = 0x27d4eb2f;
  let s3 = 0x165667b1;
  return () => {
    // xoshiro128** (Blackman and Vigna), 32-bit state words.
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

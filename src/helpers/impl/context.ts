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

/** The four u32 state words of the `randomU32` generator for `seed`. */
export function randomSeedState(seed: number): Uint32Array {
  return Uint32Array.of((seed ^ 0x9e3779b9) >>> 0 || 1, (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 2, 0x27d4eb2f, 0x165667b1);
}

/** One step of xoshiro128** (Blackman and Vigna) over `s`, updated in place; returns the u32. */
export function randomStep(s: Uint32Array): number {
  const result = Math.imul(rotl(Math.imul(s[1] as number, 5), 7), 9) >>> 0;
  const t = (s[1] as number) << 9;
  s[2] = (s[2] as number) ^ (s[0] as number);
  s[3] = (s[3] as number) ^ (s[1] as number);
  s[1] = (s[1] as number) ^ (s[2] as number);
  s[0] = (s[0] as number) ^ (s[3] as number);
  s[2] = (s[2] as number) ^ t;
  s[3] = rotl(s[3] as number, 11);
  return result;
}

/** A deterministic PRNG for `randomU32`: xoshiro128** seeded by randomSeedState(seed). */
export function seededRandom(seed: number): () => number {
  const state = randomSeedState(seed);
  return () => randomStep(state);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Timing for the benchmarks: the one place bench code reads the host clock. */

/** Time `fn` for at least `minMs` after a warm-up; returns ns per call. */
export function timeIt(fn: () => void, minMs = 300): number {
  for (let i = 0; i < 3; i++) fn();
  let iters = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn();
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns >= minMs * 1e6) return ns / iters;
    iters = Math.max(iters * 2, Math.ceil((iters * minMs * 1e6) / Math.max(ns, 1)));
  }
}

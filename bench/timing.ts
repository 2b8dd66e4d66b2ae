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

/** The median of `rounds` timings of one call of `fn`, ns (for one-off costs such as compiling). */
export function medianNs(rounds: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0));
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

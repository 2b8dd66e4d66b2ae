/**
 * The module's fixed functions around the BPF functions: the frame-pointer table, and the exported
 * wrappers the JS side enters through (one run, or BPF_PROG_TEST_RUN's repeat loop). Works in
 * node / browser.
 */
import type { ModuleOptions } from './compile.ts';
import { FRAME_SLOTS, G_BASE, G_BUDGET, G_FIDX, G_FP0 } from './emit.ts';
import { CodeWriter } from './wasm/encoder.ts';

/** `(i) -> frame pointer i`: a br_table over the frame-pointer globals. */
export function framePointerFunc(): CodeWriter {
  const w = new CodeWriter();
  for (let i = 0; i < FRAME_SLOTS; i++) w.open('block');
  w.get(0).op('br_table').u32(FRAME_SLOTS);
  for (let i = 0; i < FRAME_SLOTS; i++) w.u32(i);
  w.u32(FRAME_SLOTS - 1);
  for (let i = 0; i < FRAME_SLOTS; i++) w.op('end').gget(G_FP0 + i).op('return');
  w.op('unreachable');
  return w;
}

/** `(base, R1..R5[, mask]) -> R0`: set the run's frame base, run the function, restore. */
export function entryWrapper(func: number, opts: ModuleOptions, nRegParams: number): CodeWriter {
  const w = new CodeWriter();
  const savedFidx = 1 + nRegParams;
  const savedBase = savedFidx + 1;
  w.gget(G_FIDX).set(savedFidx).gget(G_BASE).set(savedBase);
  w.get(0).gset(G_BASE).get(0).i32(1).op('i32.sub').gset(G_FIDX);
  if (opts.mode.checked) w.get(0).op('i32.eqz').open('if').i64(BigInt(opts.loopBudget)).gset(G_BUDGET).op('end');
  for (let i = 1; i <= nRegParams; i++) w.get(i);
  w.call(func);
  w.get(savedFidx).gset(G_FIDX).get(savedBase).gset(G_BASE);
  return w;
}

/**
 * `(base, R1..R5[, mask], count) -> R0`: the entry wrapper's work `count` times (a u32, at least
 * 1) with the same arguments, each run with a fresh frame index and (checked mode) loop budget;
 * the last run's R0. This is BPF_PROG_TEST_RUN's `repeat` loop without a return to JS per run.
 */
export function repeatWrapper(func: number, opts: ModuleOptions, nRegParams: number): CodeWriter {
  const w = new CodeWriter();
  const count = 1 + nRegParams;
  const savedFidx = count + 1;
  const savedBase = savedFidx + 1;
  const r0 = savedBase + 1;
  w.gget(G_FIDX).set(savedFidx).gget(G_BASE).set(savedBase);
  w.get(0).gset(G_BASE);
  w.open('loop');
  w.get(0).i32(1).op('i32.sub').gset(G_FIDX);
  if (opts.mode.checked) w.get(0).op('i32.eqz').open('if').i64(BigInt(opts.loopBudget)).gset(G_BUDGET).op('end');
  for (let i = 1; i <= nRegParams; i++) w.get(i);
  w.call(func).set(r0);
  w.get(count).i32(1).op('i32.sub').tee(count).op('br_if').u32(0);
  w.op('end');
  w.get(savedFidx).gset(G_FIDX).get(savedBase).gset(G_BASE);
  w.get(r0);
  return w;
}

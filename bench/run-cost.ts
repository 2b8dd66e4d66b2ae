/**
 * The cost of the test run around a program, in two tables' worth of rows for bench/main.ts:
 *
 * - `tc-parse64`: the parse64 body as a tc (BPF_PROG_TYPE_SCHED_CLS) program, whose prologue reads
 *   __sk_buff.data and data_end; BPF_PROG_TEST_RUN with `repeat` on both sides (the kernel's
 *   test.duration beside tsbpf's RunResult.durationNs), as for the XDP rows.
 * - `run-empty`, `run-parse64`, `run-tc-parse64`: one `run({ data })` without `repeat`, as a
 *   packet stream is simulated (one call per packet), timed from outside: the whole fixed cost of
 *   a single test run plus the program. The kernel's figure would be the wall time of one
 *   BPF_PROG_TEST_RUN syscall with repeat = 1; tools/kernel reports only test.duration (time
 *   inside the kernel's loop), so the column stays empty for these rows.
 */
import { assemble } from '../src/isa/asm.ts';
import { encodeProgram } from '../src/isa/encode.ts';
import type { Insn } from '../src/isa/insn.ts';
import { BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_XDP } from '../src/uapi/bpf.ts';
import { kernelAvailable, runOnKernel } from '../tools/kernel/runner.ts';
import { BENCH_PROGRAMS, KERNEL_PACKET_PROLOGUE } from './programs.ts';
import { TEST_RUN_ENGINES, loadBench, singleRunNs, testRunNs } from './test-run.ts';

/** tc prologue: __sk_buff to (data, data_end). */
export const TC_PACKET_PROLOGUE = `
ldxw %r2, [%r1+80]
ldxw %r1, [%r1+76]
`;

/** A row (bench/main.ts's BenchRow shape). */
export interface RunCostRow {
  readonly bench: string;
  readonly engine: string;
  readonly ns: number;
  readonly kernel_ns: number | null;
}

interface RunCostBench {
  readonly name: string;
  readonly description: string;
  readonly progType: number;
  readonly insns: readonly Insn[];
  readonly data: Uint8Array;
  readonly expected: number;
  /** Timed with `repeat` (and the kernel's figure), or as single runs from outside. */
  readonly single: boolean;
}

const parse64 = BENCH_PROGRAMS.find((p) => p.name === 'parse64')!;
const PKT = parse64.data!;
const PARSED = Number(parse64.expected);

export const RUN_COST_BENCHES: readonly RunCostBench[] = [
  { name: 'tc-parse64', description: 'parse64 as a tc program (__sk_buff data, data_end)', progType: BPF_PROG_TYPE_SCHED_CLS, insns: assemble(TC_PACKET_PROLOGUE + parse64.body), data: PKT, expected: PARSED, single: false },
  { name: 'run-empty', description: 'one run({ data }) of `r0 = XDP_PASS`, no repeat (fixed cost of a test run)', progType: BPF_PROG_TYPE_XDP, insns: assemble('mov %r0, 2\nexit\n'), data: PKT, expected: 2, single: true },
  { name: 'run-parse64', description: 'one run({ data }) of parse64 (XDP), no repeat', progType: BPF_PROG_TYPE_XDP, insns: assemble(KERNEL_PACKET_PROLOGUE + parse64.body), data: PKT, expected: PARSED, single: true },
  { name: 'run-tc-parse64', description: 'one run({ data }) of tc-parse64, no repeat', progType: BPF_PROG_TYPE_SCHED_CLS, insns: assemble(TC_PACKET_PROLOGUE + parse64.body), data: PKT, expected: PARSED, single: true },
];

function kernelNs(b: RunCostBench): number | null {
  if (b.single || !kernelAvailable().ok) return null;
  const r = runOnKernel({ progType: b.progType, insns: encodeProgram(b.insns), data: b.data, repeat: 100_000 });
  if (!r.ok) throw new Error(`${b.name}: the kernel refused the program at ${r.stage}: ${r.message}\n${r.log ?? ''}`);
  if (r.retval !== b.expected) throw new Error(`${b.name}: kernel returned ${r.retval}, expected ${b.expected}`);
  return r.durationNs;
}

/** The rows of every bench whose name contains `filter`. */
export function runCostRows(filter?: string): RunCostRow[] {
  const rows: RunCostRow[] = [];
  for (const b of RUN_COST_BENCHES) {
    if (filter !== undefined && !b.name.includes(filter)) continue;
    const kernel = kernelNs(b);
    for (const e of TEST_RUN_ENGINES) {
      const loaded = loadBench(b.name, b.insns, e.engine, e.verified, [], b.progType);
      const ns = b.single ? singleRunNs(loaded, b.data, b.expected) : testRunNs(loaded, b.data, b.expected);
      rows.push({ bench: b.name, engine: e.label, ns: Math.round(ns * 10) / 10, kernel_ns: kernel });
    }
  }
  return rows;
}

/**
 * `npm run bench [-- --json] [-- --filter NAME]`: ns per run of each benchmark program on tsbpf's
 * engines beside the kernel's figure for the same instructions in the same run. Both sides are
 * measured the same way: BPF_PROG_TEST_RUN of an XDP program with `repeat`, the test run's own
 * duration per run (the kernel's test.duration through tools/kernel; tsbpf's RunResult.durationNs,
 * the public runtime path: a loaded program's run({ data, repeat }), median of 5 test runs). The
 * ratio is tsbpf / kernel. Engines: `interpreter`; `jit`, the runtime's default engine as it runs
 * programs tsbpf's verifier accepted (no run-time checks; WebAssembly helpers and context loads;
 * the whole repeat loop in one call into WebAssembly, as the kernel's loop calls the JITed
 * program); `jit-checked`, the same engine for unverified code (`load({ verify: false })`:
 * bounds-checked accesses, counted loops). `jit-call` is the per-call cost instead: one
 * JitProgram.run of the compiled program with (pointer, length) arguments, timed from outside
 * (no test run around it), for the programs without maps. The kernel's verifier accepts every
 * benchmark program in the same run. JIT rows carry the compile time per instruction (CFG, Wasm
 * encoding, WebAssembly.Module, instantiation; median of 15). bench/run-cost.ts adds a tc version
 * of parse64 (BPF_PROG_TYPE_SCHED_CLS test runs on both sides) and the cost of single runs
 * (`run({ data })` without repeat, timed from outside; no kernel figure).
 */
import { parseArgs } from 'node:util';
import { assemble } from '../src/isa/asm.ts';
import { encodeProgram } from '../src/isa/encode.ts';
import { AddressSpace } from '../src/vm/memory.ts';
import { compileProgramSync } from '../src/jit/program.ts';
import { BPF_PROG_TYPE_XDP } from '../src/uapi/bpf.ts';
import { kernelAvailable, runOnKernel } from '../tools/kernel/runner.ts';
import { BENCH_PROGRAMS, KERNEL_PACKET_PROLOGUE, TSBPF_PACKET_PROLOGUE, type BenchProgram } from './programs.ts';
import { medianNs, timeIt } from './timing.ts';
import { MAP_BENCHES, mapBenchRows } from './map-programs.ts';
import { RUN_COST_BENCHES, runCostRows } from './run-cost.ts';
import { TEST_RUN_ENGINES, loadBench, testRunNs } from './test-run.ts';
import { timerBench } from './timers.ts';
import { verifyBench } from './verify.ts';

export interface BenchRow {
  readonly bench: string;
  readonly engine: string;
  readonly ns: number;
  readonly kernel_ns: number | null;
  /** JIT rows: compile time (CFG, Wasm encoding, WebAssembly.Module, instantiation) per instruction. */
  readonly compile_ns_per_insn?: number;
}

/** The instructions both sides run: the XDP prologue, then the body. */
function benchInsns(p: BenchProgram): ReturnType<typeof assemble> {
  return assemble((p.data ? KERNEL_PACKET_PROLOGUE : '') + p.body);
}

/** The packet of a test run: the program's, or 64 bytes for programs that read none. */
const dataOf = (p: BenchProgram): Uint8Array => p.data ?? new Uint8Array(64);

/** ns per run through BPF_PROG_TEST_RUN with `repeat` on one engine configuration. */
function testRunRowNs(p: BenchProgram, engine: (typeof TEST_RUN_ENGINES)[number]): number {
  const b = loadBench(p.name, benchInsns(p), engine.engine, engine.verified);
  return testRunNs(b, dataOf(p), Number(p.expected));
}

/** Compile time of the JIT in `mode`, ns per instruction (median of 15). */
function compileNsPerInsn(p: BenchProgram, mode: 'checked' | 'unchecked'): number {
  const memory = new AddressSpace();
  const insns = benchInsns(p);
  return medianNs(15, () => compileProgramSync(insns, { memory, mode }).dispose()) / insns.length;
}

/** ns per JitProgram.run call (verified mode), the packet passed as (pointer, length). */
function jitCallNs(p: BenchProgram): number {
  const memory = new AddressSpace();
  const insns = assemble((p.data ? TSBPF_PACKET_PROLOGUE : '') + p.body);
  const data = dataOf(p);
  const region = memory.alloc(data.length, { kind: 'packet', name: p.name });
  region.bytes().set(data);
  const prog = compileProgramSync(insns, { memory, mode: 'unchecked', registersProven: true });
  const args = [region.ptr, BigInt(p.data ? data.length : 0)];
  if (prog.run(args) !== p.expected) throw new Error(`${p.name}: jit returned a different value`);
  const ns = timeIt(() => prog.run(args));
  prog.dispose();
  return ns;
}

function kernelNs(p: BenchProgram): number | null {
  if (!kernelAvailable().ok) return null;
  const insns = encodeProgram(benchInsns(p));
  const repeat = 100_000;
  const r = runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns, data: dataOf(p), repeat });
  if (!r.ok) throw new Error(`${p.name}: the kernel refused the program at ${r.stage}: ${r.message}\n${r.log ?? ''}`);
  if (BigInt(r.retval) !== p.expected) throw new Error(`${p.name}: kernel returned ${r.retval}, expected ${p.expected}`);
  return r.durationNs;
}

/** Command-line options; `--quick` shortens the timer benches (bench/timers.ts). */
const BENCH_ARGS = { json: { type: 'boolean', default: false }, filter: { type: 'string' }, quick: { type: 'boolean', default: false } } as const;

function main(): void {
  const { values } = parseArgs({ options: BENCH_ARGS });
  const kernel = kernelAvailable();
  if (!values.json && !kernel.ok) console.log(`kernel figures unavailable: ${kernel.reason}`);
  const rows: BenchRow[] = [];
  for (const p of BENCH_PROGRAMS) {
    if (values.filter !== undefined && !p.name.includes(values.filter)) continue;
    const kernelFigure = kernelNs(p);
    const add = (row: BenchRow): void => {
      rows.push(row);
      if (values.json) console.log(JSON.stringify(row));
    };
    for (const e of TEST_RUN_ENGINES) {
      const ns = Math.round(testRunRowNs(p, e) * 10) / 10;
      const compile = e.engine === 'jit' ? { compile_ns_per_insn: Math.round(compileNsPerInsn(p, e.verified ? 'unchecked' : 'checked')) } : {};
      add({ bench: p.name, engine: e.label, ns, kernel_ns: kernelFigure, ...compile });
    }
    add({ bench: p.name, engine: 'jit-call', ns: Math.round(jitCallNs(p) * 10) / 10, kernel_ns: kernelFigure });
  }
  for (const r of [...mapBenchRows(values.filter), ...runCostRows(values.filter)]) {
    rows.push(r);
    if (values.json) console.log(JSON.stringify(r));
  }
  if (values.json) return;
  console.log(`${'bench'.padEnd(14)} ${'engine'.padEnd(13)} ${'ns/run'.padStart(12)} ${'kernel ns'.padStart(10)} ${'ratio'.padStart(8)}  description`);
  for (const r of rows) {
    const description = [...BENCH_PROGRAMS, ...MAP_BENCHES, ...RUN_COST_BENCHES].find((b) => b.name === r.bench)?.description ?? '';
    const ratio = r.kernel_ns ? `${(r.ns / r.kernel_ns).toFixed(2)}x` : '-';
    const compile = r.compile_ns_per_insn === undefined ? '' : ` (compile ${r.compile_ns_per_insn} ns/insn)`;
    console.log(`${r.bench.padEnd(14)} ${r.engine.padEnd(13)} ${r.ns.toFixed(1).padStart(12)} ${String(r.kernel_ns ?? '-').padStart(10)} ${ratio.padStart(8)}  ${description}${compile}`);
  }
}

main();
// Timer arm/fire throughput and real-clock ticker latency, in their own table (bench/timers.ts).
await timerBench(parseArgs({ options: BENCH_ARGS }).values);
// Verification time and instructions processed, beside the kernel's (bench/verify.ts).
await verifyBench(parseArgs({ options: BENCH_ARGS }).values);

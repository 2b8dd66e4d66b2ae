/**
 * `npm run bench [-- --json] [-- --filter NAME]`: ns per run of each benchmark program on tsbpf's
 * engines, with the kernel's figure for the same instructions in the same run (BPF_PROG_TEST_RUN
 * with `repeat`, through tools/kernel) where the kernel is reachable. The ratio is tsbpf / kernel.
 * Engines: `interpreter`; `jit`, the runtime's default engine as it runs verified programs (no
 * run-time checks; WebAssembly helpers for the map programs); `jit-checked`, the same engine for
 * unverified code (`load({ verify: false })`: bounds-checked accesses, counted loops). The kernel's
 * verifier accepts every benchmark program in the same run. JIT rows carry the compile time per
 * instruction (CFG, Wasm encoding, WebAssembly.Module, instantiation; median of 15).
 */
import { parseArgs } from 'node:util';
import { assemble } from '../src/isa/asm.ts';
import { encodeProgram } from '../src/isa/encode.ts';
import { AddressSpace } from '../src/vm/memory.ts';
import { Interpreter } from '../src/vm/interpreter.ts';
import { compileProgramSync } from '../src/jit/program.ts';
import { BPF_PROG_TYPE_XDP } from '../src/uapi/bpf.ts';
import { kernelAvailable, runOnKernel } from '../tools/kernel/runner.ts';
import { BENCH_PROGRAMS, KERNEL_PACKET_PROLOGUE, TSBPF_PACKET_PROLOGUE, type BenchProgram } from './programs.ts';
import { medianNs, timeIt } from './timing.ts';
import { MAP_BENCHES, mapBenchRows } from './map-programs.ts';
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


function interpreterNs(p: BenchProgram): number {
  const memory = new AddressSpace();
  const insns = assemble((p.data ? TSBPF_PACKET_PROLOGUE : '') + p.body);
  const vm = new Interpreter(insns, { memory });
  const data = p.data ?? new Uint8Array(0);
  const region = memory.alloc(Math.max(data.length, 1), { kind: 'packet', name: p.name });
  region.bytes().set(data);
  const args = [region.ptr, BigInt(data.length)];
  const r0 = vm.run(args);
  if (r0 !== p.expected) throw new Error(`${p.name}: interpreter returned ${r0}, expected ${p.expected}`);
  return timeIt(() => vm.run(args));
}

/**
 * ns per run on the JIT in `mode`, and the compile time (instructions assembled once; the
 * compile is timed alone, median of several, in ns per instruction).
 */
function jitNs(p: BenchProgram, mode: 'checked' | 'unchecked'): { ns: number; compileNsPerInsn: number } {
  const memory = new AddressSpace();
  const insns = assemble((p.data ? TSBPF_PACKET_PROLOGUE : '') + p.body);
  const data = p.data ?? new Uint8Array(0);
  const region = memory.alloc(Math.max(data.length, 1), { kind: 'packet', name: p.name });
  region.bytes().set(data);
  const compileNs = medianNs(15, () => compileProgramSync(insns, { memory, mode }).dispose());
  const prog = compileProgramSync(insns, { memory, mode });
  const args = [region.ptr, BigInt(data.length)];
  const r0 = prog.run(args);
  if (r0 !== p.expected) throw new Error(`${p.name}: jit (${mode}) returned ${r0}, expected ${p.expected}`);
  const ns = timeIt(() => prog.run(args));
  prog.dispose();
  return { ns, compileNsPerInsn: compileNs / insns.length };
}

function kernelNs(p: BenchProgram): number | null {
  if (!kernelAvailable().ok) return null;
  const insns = encodeProgram(assemble((p.data ? KERNEL_PACKET_PROLOGUE : '') + p.body));
  const data = p.data ?? new Uint8Array(64);
  const repeat = 100_000;
  const r = runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns, data, repeat });
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
    const row: BenchRow = { bench: p.name, engine: 'interpreter', ns: Math.round(interpreterNs(p) * 10) / 10, kernel_ns: kernelFigure };
    rows.push(row);
    if (values.json) console.log(JSON.stringify(row));
    for (const [engine, mode] of [['jit', 'unchecked'], ['jit-checked', 'checked']] as const) {
      const j = jitNs(p, mode);
      const jitRow: BenchRow = {
        bench: p.name, engine, ns: Math.round(j.ns * 10) / 10, kernel_ns: kernelFigure,
        compile_ns_per_insn: Math.round(j.compileNsPerInsn),
      };
      rows.push(jitRow);
      if (values.json) console.log(JSON.stringify(jitRow));
    }
  }
  for (const r of mapBenchRows(values.filter)) {
    rows.push(r);
    if (values.json) console.log(JSON.stringify(r));
  }
  if (values.json) return;
  console.log(`${'bench'.padEnd(14)} ${'engine'.padEnd(13)} ${'ns/run'.padStart(12)} ${'kernel ns'.padStart(10)} ${'ratio'.padStart(8)}  description`);
  for (const r of rows) {
    const description = [...BENCH_PROGRAMS, ...MAP_BENCHES].find((b) => b.name === r.bench)?.description ?? '';
    const ratio = r.kernel_ns ? `${(r.ns / r.kernel_ns).toFixed(2)}x` : '-';
    const compile = r.compile_ns_per_insn === undefined ? '' : ` (compile ${r.compile_ns_per_insn} ns/insn)`;
    console.log(`${r.bench.padEnd(14)} ${r.engine.padEnd(13)} ${r.ns.toFixed(1).padStart(12)} ${String(r.kernel_ns ?? '-').padStart(10)} ${ratio.padStart(8)}  ${description}${compile}`);
  }
}

main();
// Timer arm/fire throughput and real-clock ticker latency, in their own table (bench/timers.ts).
await timerBench(parseArgs({ options: BENCH_ARGS }).values);
// Verification time and instructions processed, beside the kernel's (bench/verify.ts).
verifyBench(parseArgs({ options: BENCH_ARGS }).values);

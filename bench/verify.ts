/**
 * Verification benchmark: time and instructions processed by tsbpf's verifier for the programs of
 * real objects (the examples and a few testdata objects) and for the raw benchmark programs, with
 * the kernel's own figures beside them: the `processed N insns` count and the `verification time
 * N usec` that the 6.18 kernel prints with log level BPF_LOG_STATS (4), the median of several
 * loads (objects through libbpf, tools/libbpf/verify-log; raw programs through tools/kernel).
 * tsbpf's time is the verifier alone (maps are described from the spec, nothing is created).
 * Run alone with `npx tsx bench/verify.ts [--json] [--filter S] [--quick]`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assemble } from '../src/isa/asm.ts';
import { encodeProgram } from '../src/isa/encode.ts';
import type { Insn } from '../src/isa/insn.ts';
import { BpfObject } from '../src/runtime/object.ts';
import { BPF_PROG_TYPE_XDP } from '../src/uapi/bpf.ts';
import { verify, type VerifierMap, type VerifierProgram } from '../src/verifier/index.ts';
import { kernelAvailable, runOnKernel, type KernelMapSpec } from '../tools/kernel/runner.ts';
import { kernelVerdict, logProcessed, logVerificationNs } from '../tools/libbpf/verify-log.ts';
import { MAP_BENCHES, mapInsns } from './map-programs.ts';
import { BENCH_PROGRAMS, KERNEL_PACKET_PROLOGUE } from './programs.ts';
import { timeIt } from './timing.ts';

const ROOT = join(import.meta.dirname, '..');

/** The objects measured: the examples, then testdata objects with large or callback-heavy programs. */
const OBJECTS = [
  'examples/conntrack.bpf.o', 'examples/healthcheck.bpf.o', 'examples/sampler.bpf.o',
  'testdata/scenarios/timer_ops.bpf.o', 'testdata/scenarios/timer_lru.bpf.o', 'testdata/scenarios/maps_helpers.bpf.o',
  'testdata/progs/timer_rt.bpf.o',
];

/** One program's row. `kernel_*` are null where the kernel could not be asked. */
export interface VerifyBenchRow {
  readonly bench: 'verify';
  readonly object: string;
  readonly prog: string;
  /** tsbpf: ns per verification, and instructions processed. */
  readonly ns: number;
  readonly processed: number;
  readonly kernel_ns: number | null;
  readonly kernel_processed: number | null;
}

export interface VerifyBenchOptions {
  readonly json?: boolean;
  readonly filter?: string;
  readonly quick?: boolean;
}

interface Subject {
  readonly object: string;
  readonly prog: VerifierProgram;
  /** The kernel's figures, or null. */
  readonly kernel: () => { ns: number; processed: number } | null;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Median over `runs` loads of the kernel's reported time and count for every program of an object. */
function kernelObjectFigures(rel: string, runs: number): Map<string, { ns: number; processed: number }> | null {
  const times = new Map<string, number[]>();
  const counts = new Map<string, number>();
  for (let i = 0; i < runs; i++) {
    const v = kernelVerdict(join(ROOT, rel), 4);
    if (typeof v === 'string' || v.errno !== 0) return null;
    for (const p of v.programs) {
      const ns = logVerificationNs(p.log);
      if (!p.loaded || ns === undefined) continue;
      times.set(p.name, [...(times.get(p.name) ?? []), ns]);
      counts.set(p.name, p.verifiedInsns);
    }
  }
  return new Map([...times].map(([name, ns]) => [name, { ns: median(ns), processed: counts.get(name)! }]));
}

/**
 * Every program of an object, with the verifier input its load would verify (the maps as created,
 * frozen .rodata, the runtime's CPU count): loaded once without verification, then timed alone.
 */
async function objectSubjects(rel: string, runs: number): Promise<Subject[]> {
  const obj = BpfObject.open(new Uint8Array(readFileSync(join(ROOT, rel))), { name: rel.slice(rel.lastIndexOf('/') + 1) });
  await obj.load({ verify: false, engine: 'interpreter' });
  let kernel: Map<string, { ns: number; processed: number }> | null | undefined;
  return [...obj.spec.programs.keys()].map((name) => ({
    object: rel.slice(rel.lastIndexOf('/') + 1),
    prog: obj.verifierInput(name),
    kernel: () => {
      kernel ??= kernelObjectFigures(rel, runs);
      return kernel?.get(name) ?? null;
    },
  }));
}

/** A raw XDP program, loaded on the kernel through tools/kernel at BPF_LOG_STATS. */
function rawSubject(name: string, insns: Insn[], maps: readonly KernelMapSpec[], runs: number): Subject {
  const vmaps: VerifierMap[] = maps.map((m, i) => ({
    name: m.name ?? `map${i}`, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags ?? 0, hasBtf: false,
  }));
  return {
    object: 'bench',
    prog: { name, insns, progType: BPF_PROG_TYPE_XDP, license: 'GPL', maps: vmaps },
    kernel: () => {
      if (!kernelAvailable().ok) return null;
      const ns: number[] = [];
      let processed = 0;
      for (let i = 0; i < runs; i++) {
        const r = runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns: encodeProgram(insns), maps, loadOnly: true, logLevel: 4 });
        if (!r.ok) return null;
        ns.push(logVerificationNs(r.log ?? '') ?? 0);
        processed = logProcessed(r.log ?? '') ?? 0;
      }
      return { ns: median(ns), processed };
    },
  };
}

async function subjects(runs: number): Promise<Subject[]> {
  const objects = await Promise.all(OBJECTS.map((rel) => objectSubjects(rel, runs)));
  return [
    ...objects.flat(),
    ...BENCH_PROGRAMS.map((p) => rawSubject(p.name, assemble((p.data ? KERNEL_PACKET_PROLOGUE : '') + p.body), [], runs)),
    ...MAP_BENCHES.map((b) => rawSubject(b.name, mapInsns(b.body), [b.map], runs)),
  ];
}

/** Measures every selected program. */
export async function verifyBenchRows(options: VerifyBenchOptions = {}): Promise<VerifyBenchRow[]> {
  const runs = options.quick === true ? 3 : 7;
  const rows: VerifyBenchRow[] = [];
  for (const s of await subjects(runs)) {
    if (options.filter !== undefined && !`${s.object} ${s.prog.name}`.includes(options.filter)) continue;
    const processed = verify(s.prog).processed;
    const ns = timeIt(() => verify(s.prog), options.quick === true ? 100 : 300);
    const k = s.kernel();
    rows.push({ bench: 'verify', object: s.object, prog: s.prog.name, ns: Math.round(ns), processed, kernel_ns: k?.ns ?? null, kernel_processed: k?.processed ?? null });
  }
  return rows;
}

/** The table printed by `npm run bench`. */
export function formatVerifyTable(rows: readonly VerifyBenchRow[]): string[] {
  const us = (ns: number | null): string => (ns === null ? '-' : (ns / 1000).toFixed(1));
  const out = [
    'verification: tsbpf verifier vs the kernel (its log: `verification time`, `processed`), per program',
    `${'object'.padEnd(24)} ${'program'.padEnd(18)} ${'tsbpf us'.padStart(10)} ${'insns'.padStart(7)} ${'kernel us'.padStart(10)} ${'insns'.padStart(7)} ${'time'.padStart(8)} ${'insns'.padStart(7)}`,
  ];
  for (const r of rows) {
    const tr = r.kernel_ns ? `${(r.ns / r.kernel_ns).toFixed(2)}x` : '-';
    const ir = r.kernel_processed ? `${(r.processed / r.kernel_processed).toFixed(2)}x` : '-';
    out.push(`${r.object.padEnd(24)} ${r.prog.padEnd(18)} ${us(r.ns).padStart(10)} ${String(r.processed).padStart(7)} ${us(r.kernel_ns).padStart(10)} ${String(r.kernel_processed ?? '-').padStart(7)} ${tr.padStart(8)} ${ir.padStart(7)}`);
  }
  return out;
}

/** Runs the verification benchmark and prints its table (or JSON lines). */
export async function verifyBench(options: VerifyBenchOptions = {}): Promise<VerifyBenchRow[]> {
  const rows = await verifyBenchRows(options);
  if (options.json === true) for (const r of rows) console.log(JSON.stringify(r));
  else {
    console.log('');
    for (const l of formatVerifyTable(rows)) console.log(l);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { json: { type: 'boolean' }, filter: { type: 'string' }, quick: { type: 'boolean' } } });
  await verifyBench(values);
}

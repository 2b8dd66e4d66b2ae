/**
 * Map-heavy benchmark programs (hash lookup + update, array and per-CPU counters, atomic adds
 * into an array value) on tsbpf's engines, loaded as the runtime loads a program (the runtime's
 * helper table; on the JIT its WebAssembly helpers): `jit` for a program tsbpf's verifier
 * accepted (as the kernel's does these very instructions in the same run), `jit-checked` as for
 * unverified code. Both sides are timed through BPF_PROG_TEST_RUN with `repeat` (tsbpf's
 * RunResult.durationNs, bench/test-run.ts; the kernel's test.duration), maps created on each side
 * (tools/kernel on the kernel): `lddw` marked with src=BPF_PSEUDO_MAP_FD imm=N refers to map N on
 * both sides. Run alone with `npx tsx bench/map-programs.ts`; `mapBenchRows()` is what
 * bench/main.ts adds to its table.
 */
import { assemble } from '../src/isa/asm.ts';
import { encodeProgram } from '../src/isa/encode.ts';
import type { Insn } from '../src/isa/insn.ts';
import { BPF_PSEUDO_MAP_FD } from '../src/isa/opcodes.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import type { MapHandle } from '../src/runtime/map-handle.ts';
import { helperTable } from '../src/runtime/helpers.ts';
import { createEngine, type Engine, type EngineName } from '../src/runtime/engine.ts';
import { wasmHelpers } from '../src/runtime/wasm-helpers/index.ts';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_PROG_TYPE_XDP } from '../src/uapi/bpf.ts';
import { kernelAvailable, runOnKernel, type KernelMapSpec } from '../tools/kernel/runner.ts';
import { medianNs } from './timing.ts';
import { TEST_RUN_ENGINES, loadBench, testRunNs } from './test-run.ts';

/** A map benchmark: one map (map 0), a body that loops over it. */
export interface MapBench {
  readonly name: string;
  readonly description: string;
  readonly map: KernelMapSpec;
  readonly body: string;
}

/** A row of the map benchmarks (bench/main.ts's BenchRow shape). */
export interface MapBenchRow {
  readonly bench: string;
  readonly engine: string;
  readonly ns: number;
  readonly kernel_ns: number | null;
  readonly compile_ns_per_insn?: number;
}

const counterLoop = (n: number, update: string): string => `
mov %r6, ${n}
loop:
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, 0
call 1
jeq %r0, 0, next
${update}
next:
sub %r6, 1
jne %r6, 0, loop
mov %r0, 0
exit
`;

const INCREMENT = `
ldxdw %r3, [%r0]
add %r3, 1
stxdw [%r0], %r3
`;

const ATOMIC_ADD = `
mov %r3, 1
lock add [%r0], %r3
`;

const hashLoop = (n: number): string => `
mov %r6, ${n}
loop:
mov %r7, %r6
and %r7, 63
stxw [%r10-4], %r7
stdw [%r10-16], 1
mov %r2, %r10
add %r2, -4
lddw %r1, 0
call 1
jne %r0, 0, found
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
lddw %r1, 0
call 2
ja next
found:
ldxdw %r3, [%r0]
add %r3, 1
stxdw [%r0], %r3
next:
sub %r6, 1
jne %r6, 0, loop
mov %r0, 0
exit
`;

const ARRAY_1 = { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 };

export const MAP_BENCHES: readonly MapBench[] = [
  { name: 'array_counter', description: '100 x (array lookup + increment)', map: ARRAY_1, body: counterLoop(100, INCREMENT) },
  { name: 'percpu_counter', description: '100 x (per-CPU array lookup + increment)', map: { ...ARRAY_1, type: BPF_MAP_TYPE_PERCPU_ARRAY }, body: counterLoop(100, INCREMENT) },
  { name: 'array_atomic', description: '100 x (array lookup + atomic add)', map: ARRAY_1, body: counterLoop(100, ATOMIC_ADD) },
  { name: 'hash_update', description: '100 x (hash lookup, update on miss or increment), 64 keys', map: { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 64 }, body: hashLoop(100) },
];

/** The body's instructions with every `lddw rX, N` turned into a map reference to map N. */
export function mapInsns(body: string): Insn[] {
  return assemble(body).map((i) => (i.code === 0x18 ? { ...i, src: BPF_PSEUDO_MAP_FD, imm64: 0n } : i));
}

/** The configurations the map benchmarks run: the engine, and whether the program counts as verified. */
export const MAP_BENCH_ENGINES = TEST_RUN_ENGINES;

/** A fresh runtime with the map of `b`, and a builder of the program's engine as BpfObject.load builds it. */
export function mapBenchSetup(b: MapBench): { rt: Runtime; map: MapHandle; insns: Insn[]; build(engine: EngineName, verified: boolean): Engine } {
  const rt = new Runtime();
  const map = rt.createMap({ type: b.map.type, keySize: b.map.keySize, valueSize: b.map.valueSize, maxEntries: b.map.maxEntries, name: b.name });
  const table = helperTable(rt, BPF_PROG_TYPE_XDP);
  const insns = mapInsns(b.body);
  const build = (engine: EngineName, verified: boolean): Engine => createEngine(engine, insns, {
    memory: rt.memory, helpers: (id) => table.get(id), resolveLdImm64: () => map.map.ptr, packetOf: () => undefined,
    inline: wasmHelpers(rt, table), ...(verified ? { verified: { ctxAccessSlots: new Set<number>() } } : {}),
  });
  return { rt, map, insns, build };
}

/**
 * ns per run on tsbpf's `engine` through BPF_PROG_TEST_RUN with `repeat` (bench/test-run.ts, as
 * the kernel's figure), and (JIT) the compile time per instruction.
 */
export function tsbpfMapNs(b: MapBench, engine: EngineName, verified: boolean): { ns: number; compileNsPerInsn?: number } {
  const loaded = loadBench(b.name, mapInsns(b.body), engine, verified, [b.map]);
  const ns = testRunNs(loaded, new Uint8Array(64), 0);
  if (engine !== 'jit') return { ns };
  const { insns, build } = mapBenchSetup(b);
  return { ns, compileNsPerInsn: medianNs(15, () => build(engine, verified).dispose()) / insns.length };
}

/** The kernel's ns per run, or null without a kernel. */
export function kernelMapNs(b: MapBench): number | null {
  if (!kernelAvailable().ok) return null;
  const r = runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns: encodeProgram(mapInsns(b.body)), data: new Uint8Array(64), repeat: 10000, maps: [b.map] });
  if (!r.ok) throw new Error(`${b.name}: the kernel refused the program at ${r.stage}: ${r.message}\n${r.log ?? ''}`);
  return r.durationNs;
}

/** Rows in bench/main.ts's shape: every engine, the kernel's figure beside each. */
export function mapBenchRows(filter?: string): MapBenchRow[] {
  const rows: MapBenchRow[] = [];
  for (const b of MAP_BENCHES) {
    if (filter !== undefined && !b.name.includes(filter)) continue;
    const kernel = kernelMapNs(b);
    for (const { label, engine, verified } of MAP_BENCH_ENGINES) {
      const t = tsbpfMapNs(b, engine, verified);
      rows.push({
        bench: b.name, engine: label, ns: Math.round(t.ns * 10) / 10, kernel_ns: kernel,
        ...(t.compileNsPerInsn !== undefined ? { compile_ns_per_insn: Math.round(t.compileNsPerInsn) } : {}),
      });
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of mapBenchRows()) {
    const ratio = r.kernel_ns ? `${(r.ns / r.kernel_ns).toFixed(2)}x` : '-';
    console.log(`${r.bench.padEnd(16)} ${r.engine.padEnd(12)} ${r.ns.toFixed(1).padStart(12)} ${String(r.kernel_ns ?? '-').padStart(10)} ${ratio.padStart(8)}`);
  }
}

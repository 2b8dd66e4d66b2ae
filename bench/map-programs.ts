/**
 * Map-heavy benchmark programs (hash lookup + update, array counter, per-CPU counter) on tsbpf's
 * interpreter through the runtime's map helpers, with the kernel's figure for the same
 * instructions (BPF_PROG_TEST_RUN with `repeat`, maps created by tools/kernel: `lddw` marked with
 * src=BPF_PSEUDO_MAP_FD imm=N refers to map N on both sides). Run alone with
 * `npx tsx bench/map-programs.ts`; `mapBenchRows()` is what bench/main.ts can add to its table.
 */
import { assemble } from '../src/isa/asm.ts';
import { encodeProgram } from '../src/isa/encode.ts';
import type { Insn } from '../src/isa/insn.ts';
import { BPF_PSEUDO_MAP_FD } from '../src/isa/opcodes.ts';
import { Interpreter } from '../src/vm/interpreter.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import { helperTable } from '../src/runtime/helpers.ts';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_PROG_TYPE_XDP } from '../src/uapi/bpf.ts';
import { kernelAvailable, runOnKernel, type KernelMapSpec } from '../tools/kernel/runner.ts';
import { timeIt } from './timing.ts';

/** A map benchmark: one map (map 0), a body that loops over it. */
export interface MapBench {
  readonly name: string;
  readonly description: string;
  readonly map: KernelMapSpec;
  readonly body: string;
}

const counterLoop = (n: number): string => `
mov %r6, ${n}
loop:
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, 0
call 1
jeq %r0, 0, next
ldxdw %r3, [%r0]
add %r3, 1
stxdw [%r0], %r3
next:
sub %r6, 1
jne %r6, 0, loop
mov %r0, 0
exit
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

export const MAP_BENCHES: readonly MapBench[] = [
  { name: 'array_counter', description: '100 x (array lookup + increment)', map: { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }, body: counterLoop(100) },
  { name: 'percpu_counter', description: '100 x (per-CPU array lookup + increment)', map: { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }, body: counterLoop(100) },
  { name: 'hash_update', description: '100 x (hash lookup, update on miss or increment), 64 keys', map: { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 64 }, body: hashLoop(100) },
];

/** The body's instructions with every `lddw rX, N` turned into a map reference to map N. */
export function mapInsns(body: string): Insn[] {
  return assemble(body).map((i) => (i.code === 0x18 ? { ...i, src: BPF_PSEUDO_MAP_FD, imm64: 0n } : i));
}


/** ns per run on tsbpf's interpreter. */
export function tsbpfMapNs(b: MapBench): number {
  const rt = new Runtime();
  const map = rt.createMap({ type: b.map.type, keySize: b.map.keySize, valueSize: b.map.valueSize, maxEntries: b.map.maxEntries, name: b.name });
  const table = helperTable(rt, BPF_PROG_TYPE_XDP);
  const vm = new Interpreter(mapInsns(b.body), { memory: rt.memory, helpers: (id) => table.get(id), resolveLdImm64: () => map.map.ptr });
  const state = { cpu: 0, xdp: undefined, redirect: undefined, tailCalls: 0 };
  return rt.withRun(state, () => {
    if (vm.run([]) !== 0n) throw new Error(`${b.name}: tsbpf returned non-zero`);
    return timeIt(() => vm.run([]));
  });
}

/** The kernel's ns per run, or null without a kernel. */
export function kernelMapNs(b: MapBench): number | null {
  if (!kernelAvailable().ok) return null;
  const r = runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns: encodeProgram(mapInsns(b.body)), data: new Uint8Array(64), repeat: 10000, maps: [b.map] });
  if (!r.ok) throw new Error(`${b.name}: the kernel refused the program at ${r.stage}: ${r.message}\n${r.log ?? ''}`);
  return r.durationNs;
}

/** Rows in bench/main.ts's shape. */
export function mapBenchRows(): { bench: string; engine: string; ns: number; kernel_ns: number | null }[] {
  return MAP_BENCHES.map((b) => ({ bench: b.name, engine: 'interpreter', ns: Math.round(tsbpfMapNs(b) * 10) / 10, kernel_ns: kernelMapNs(b) }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of mapBenchRows()) {
    const ratio = r.kernel_ns ? `${(r.ns / r.kernel_ns).toFixed(1)}x` : '-';
    console.log(`${r.bench.padEnd(16)} ${r.engine.padEnd(12)} ${r.ns.toFixed(1).padStart(12)} ${String(r.kernel_ns ?? '-').padStart(10)} ${ratio.padStart(8)}`);
  }
}

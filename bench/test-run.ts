/**
 * Benchmark programs loaded into a runtime the way BpfObject.load loads a program (the runtime's
 * helper table, its WebAssembly helpers, tsbpf's verifier for the `jit` configuration) and timed
 * through BPF_PROG_TEST_RUN with `repeat`, as the kernel's figure is: the run's own stopwatch
 * around the repeat loop (RunResult.durationNs, the kernel's test.duration), median of several;
 * or single runs timed from outside (singleRunNs).
 */
import type { Insn } from '../src/isa/insn.ts';
import { BPF_PSEUDO_MAP_FD } from '../src/isa/opcodes.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import type { MapHandle } from '../src/runtime/map-handle.ts';
import { helperTable } from '../src/runtime/helpers.ts';
import { createEngine, verifiedProgram, type EngineName } from '../src/runtime/engine.ts';
import { LoadedProgram, type ProgramHandle } from '../src/runtime/program.ts';
import { wasmHelpers } from '../src/runtime/wasm-helpers/index.ts';
import { verify } from '../src/verifier/index.ts';
import type { VerifierMap } from '../src/verifier/types.ts';
import { BPF_PROG_TYPE_XDP } from '../src/uapi/bpf.ts';
import type { KernelMapSpec } from '../tools/kernel/runner.ts';
import { timeIt } from './timing.ts';

/** The engine configurations of the benchmark tables. */
export const TEST_RUN_ENGINES: readonly { readonly label: string; readonly engine: EngineName; readonly verified: boolean }[] = [
  { label: 'interpreter', engine: 'interpreter', verified: false },
  { label: 'jit', engine: 'jit', verified: true },
  { label: 'jit-checked', engine: 'jit', verified: false },
];

/** A program of raw instructions loaded into a fresh runtime, with its maps. */
export interface LoadedBench {
  readonly rt: Runtime;
  readonly maps: readonly MapHandle[];
  readonly handle: ProgramHandle;
}

/**
 * Loads `insns` as a program of `progType` (default XDP) on `engine`; `lddw rX, N` with src
 * BPF_PSEUDO_MAP_FD refers to map N of `maps`. With `verified`, tsbpf's verifier checks the program
 * first and the engine gets its facts, as for any verified load (the JIT then runs without
 * run-time checks).
 */
export function loadBench(name: string, insns: readonly Insn[], engine: EngineName, verified: boolean, maps: readonly KernelMapSpec[] = [], progType = BPF_PROG_TYPE_XDP): LoadedBench {
  const rt = new Runtime();
  const handles = maps.map((m, i) => rt.createMap({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags ?? 0, name: m.name ?? `map${i}` }));
  let self: LoadedProgram | undefined;
  const table = helperTable(rt, progType, () => self!);
  const verifierMaps: VerifierMap[] = handles.map((h) => ({
    name: h.name, type: h.type, keySize: h.keySize, valueSize: h.valueSize, maxEntries: h.maxEntries, flags: h.flags, hasBtf: false,
  }));
  const result = verified ? verify({ name, insns, progType, license: 'GPL', maps: verifierMaps }) : undefined;
  const e = createEngine(engine, insns, {
    memory: rt.memory,
    helpers: (id) => table.get(id),
    resolveLdImm64: (insn) => {
      const h = insn.src === BPF_PSEUDO_MAP_FD ? handles[insn.imm] : undefined;
      if (h === undefined) throw new Error(`${name}: ld_imm64 at ${insn.idx} names no map`);
      return h.map.ptr;
    },
    packetOf: (ctx) => rt.packets.get(ctx),
    inline: wasmHelpers(rt, table, progType),
    ...(result !== undefined ? { verified: verifiedProgram(result) } : {}),
  });
  const used = handles.map((h) => rt.mapRefsOf(h.map)!);
  self = new LoadedProgram(rt, { name, type: progType, expectedAttachType: 0, sectionName: progType === BPF_PROG_TYPE_XDP ? 'xdp' : 'tc' }, e, used);
  return { rt, maps: handles, handle: self.newHandle() };
}

/**
 * ns per run: BPF_PROG_TEST_RUN on `data` with a `repeat` that makes one test run last about
 * `targetMs`, the median of `rounds` runs' durationNs; checks the return value first.
 */
export function testRunNs(b: LoadedBench, data: Uint8Array, expected: number, targetMs = 40, rounds = 5): number {
  const first = b.handle.run({ data });
  if (first.retval !== expected) throw new Error(`${b.handle.name}: returned ${first.retval}, expected ${expected}`);
  let perRun = b.handle.run({ data, repeat: 10 }).durationNs;
  if (perRun * 10 < 1e6) perRun = b.handle.run({ data, repeat: 10_000 }).durationNs;
  const repeat = Math.max(1, Math.min(1_000_000, Math.round((targetMs * 1e6) / Math.max(perRun, 1))));
  const ns: number[] = [];
  for (let i = 0; i < rounds; i++) ns.push(b.handle.run({ data, repeat }).durationNs);
  ns.sort((x, y) => x - y);
  return ns[ns.length >> 1]!;
}

/**
 * ns per single test run: `run({ data })` without `repeat`, as a stream of packets is simulated
 * (one call per packet), timed from outside over many calls: the whole fixed cost of a run
 * (checks, packet and context set-up, the call into the engine, data_out) plus the program.
 */
export function singleRunNs(b: LoadedBench, data: Uint8Array, expected: number): number {
  const first = b.handle.run({ data });
  if (first.retval !== expected) throw new Error(`${b.handle.name}: returned ${first.retval}, expected ${expected}`);
  const ns: number[] = [];
  for (let i = 0; i < 5; i++) ns.push(timeIt(() => { b.handle.run({ data }); }, 100));
  ns.sort((x, y) => x - y);
  return ns[ns.length >> 1]!;
}

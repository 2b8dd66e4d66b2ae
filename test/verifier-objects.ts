/**
 * The kernel's verdict on the committed BPF objects, for test/verifier-objects.test.ts: each
 * object as libbpf loads it (tools/libbpf/verify-log), or, for objects libbpf 1.x refuses to open
 * (legacy SEC("maps") definitions), each program loaded on its own from its raw linked
 * instructions with the object's maps created without BTF (tools/kernel). Verdicts are recorded
 * in testdata/objects.kernel.json so the comparison runs where bpf() does not. Test-only (Node).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BpfObject } from '../src/runtime/object.ts';
import { objectNameOf } from '../src/loader/data.ts';
import { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, encodeProgram, type Insn } from '../src/isa/index.ts';
import { runOnKernel, type KernelMapSpec } from '../tools/kernel/runner.ts';
import { kernelVerdict, logProcessed } from '../tools/libbpf/verify-log.ts';

export const ROOT = join(import.meta.dirname, '..');

/**
 * One program as the kernel judged it: accepted (with its `processed` count and, from the log's
 * stats line, its `total_states` and `peak_states`) or refused.
 */
export type KernelProgram =
  | { readonly name: string; readonly loaded: true; readonly processed: number; readonly totalStates?: number; readonly peakStates?: number }
  | { readonly name: string; readonly loaded: false; readonly errno: number; readonly message: string };

/** An object's verdict; `programs` lists only the programs the kernel was given. */
export interface KernelObjectVerdict {
  readonly via: 'libbpf' | 'raw';
  readonly programs: readonly KernelProgram[];
}

/** `total_states` and `peak_states` of a log's stats line, when it has one. */
function logStates(log: string): { totalStates?: number; peakStates?: number } {
  const m = /total_states (\d+) peak_states (\d+)/.exec(log);
  return m === null ? {} : { totalStates: Number(m[1]), peakStates: Number(m[2]) };
}

/** The line that says why the verifier stopped: the first after the last instruction line. */
export function verifierMessage(lines: readonly string[]): string {
  let i = lines.length - 1;
  while (i >= 0 && !/^\d+: \([0-9a-f]{2}\)/.test(lines[i] ?? '')) i--;
  const tail = lines.slice(i + 1).filter((l) => l.trim() !== '' && !/^processed \d+ insns/.test(l));
  return tail[0] ?? lines.filter((l) => l.trim() !== '').at(-1) ?? '';
}

/** Every committed object: examples, testdata/progs, testdata/scenarios (paths relative to the root). */
export function committedObjects(): string[] {
  const dirs = ['examples', 'testdata/progs', 'testdata/scenarios'];
  return dirs.flatMap((d) => {
    const files = readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.bpf.o')).sort();
    return files.map((f) => `${d}/${f}`);
  });
}

/**
 * Asks the running kernel. @returns the verdict, or why the kernel could not be asked (the caller
 * falls back to the recording).
 */
export function askKernel(rel: string): KernelObjectVerdict | string {
  const path = join(ROOT, rel);
  const v = kernelVerdict(path, 1);
  if (typeof v === 'string') return v;
  if (!v.open) return rawVerdict(path);
  if (v.errno === 0) {
    return {
      via: 'libbpf',
      programs: v.programs.filter((p) => p.loaded).map((p) => ({ name: p.name, loaded: true, processed: p.verifiedInsns, ...logStates(p.log) })),
    };
  }
  // libbpf loads programs in order, stops at the first refusal and then unloads the ones before
  // it: the refused program is the last one with a log; those before it were accepted.
  const tried = v.programs.filter((p) => p.log !== '');
  return {
    via: 'libbpf',
    programs: tried.map((p, i): KernelProgram => i < tried.length - 1
      ? { name: p.name, loaded: true, processed: logProcessed(p.log) ?? 0, ...logStates(p.log) }
      : { name: p.name, loaded: false, errno: v.errno, message: verifierMessage(p.log.split('\n')) }),
  };
}

/** Each program alone, from its linked instructions, maps by index without BTF. */
function rawVerdict(path: string): KernelObjectVerdict | string {
  const obj = BpfObject.open(readFileSync(path), { name: objectNameOf(path) });
  const names = [...obj.spec.maps.keys()];
  const maps: KernelMapSpec[] = [...obj.spec.maps.values()].map((m) => ({
    type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name.slice(0, 15),
  }));
  if ([...obj.spec.maps.values()].some((m) => m.innerMap !== undefined)) return `${relative(ROOT, path)}: raw loads have no map-in-map`;
  const programs: KernelProgram[] = [];
  for (const p of obj.spec.programs.values()) {
    const insns = p.insns.map((insn, i): Insn => {
      const ref = p.references.get(i);
      if (ref?.kind === 'map') return ldMap(insn, BPF_PSEUDO_MAP_FD, names.indexOf(ref.map), 0);
      if (ref?.kind === 'mapValue' || ref?.kind === 'kconfig') return ldMap(insn, BPF_PSEUDO_MAP_VALUE, names.indexOf(ref.map), ref.offset);
      return insn;
    });
    const r = runOnKernel({ progType: p.type, expectedAttachType: p.expectedAttachType, insns: encodeProgram(insns), maps, loadOnly: true, logLevel: 1, license: p.license || 'GPL' });
    if (r.ok) programs.push({ name: p.name, loaded: true, processed: logProcessed(r.log ?? '') ?? 0, ...logStates(r.log ?? '') });
    else if (r.stage === 'load') programs.push({ name: p.name, loaded: false, errno: r.errno, message: verifierMessage((r.log ?? '').split('\n')) });
    else return `${p.name}: the kernel failed at ${r.stage}: ${r.message}`;
  }
  return { via: 'raw', programs };
}

function ldMap(insn: Insn, src: number, index: number, offset: number): Insn {
  return { ...insn, src, imm: index, imm2: offset, imm64: (BigInt(offset) << 32n) | BigInt(index) };
}

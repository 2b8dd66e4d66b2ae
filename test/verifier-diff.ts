/**
 * Differential verification: one program through tsbpf's verifier and through the running
 * kernel's (load only, log level 1), compared on the verdict, the errno, the first line of the
 * refusal and, for accepted programs, the processed count. Used by scripts/fuzz-verifier.ts
 * (`--kernel`) on generated programs; a differing program can be shrunk (minimize()) and written
 * as a corpus file (corpusText(), the format of test/verifier-corpus.ts). Test-only (Node).
 */
import { readFileSync } from 'node:fs';
import {
  BPF_CALL, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LD_IMM64, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, encodeProgram, insnClass, type Insn,
} from '../src/isa/index.ts';
import { findVariant } from '../src/isa/table.ts';
import * as B from '../src/uapi/bpf.ts';
import { ENOSPC, ERRNO_NAMES } from '../src/uapi/errno.ts';
import { verify, VerifierError } from '../src/verifier/index.ts';
import { runOnKernel } from '../tools/kernel/runner.ts';
import { kernelSpec, parseCorpusCase, verifierProgram, type CorpusCase, type CorpusMap } from './verifier-corpus.ts';
import { verifierMessage } from './verifier-objects.ts';

/** The fuzz maps (test/verifier-fuzz.ts FUZZ_MAPS) as corpus declarations: m0 an array, m1 a hash. */
export const FUZZ_CORPUS_MAPS: readonly CorpusMap[] = [
  { name: 'm0', type: B.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 32, maxEntries: 4, flags: 0, btf: false },
  { name: 'm1', type: B.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 16, maxEntries: 8, flags: 0, btf: false },
];

/** Slot numbers renumbered and every ld_imm64's 64-bit constant made to agree with its imm (mutants may break both). */
export function normalize(insns: readonly Insn[]): Insn[] {
  let slot = 0;
  return insns.map((i) => {
    const idx = slot;
    slot += i.code === BPF_LD_IMM64 ? 2 : 1;
    if (i.code !== BPF_LD_IMM64) return { code: i.code, dst: i.dst, src: i.src, off: i.off, imm: i.imm | 0, idx };
    const hi = i.imm2 ?? Number(BigInt.asIntN(32, (i.imm64 ?? 0n) >> 32n));
    const imm64 = (BigInt(hi >>> 0) << 32n) | BigInt(i.imm >>> 0);
    return { code: i.code, dst: i.dst, src: i.src, off: i.off, imm: i.imm | 0, imm64, imm2: hi | 0, idx };
  });
}

function slotCount(insns: readonly Insn[]): number {
  const last = insns.at(-1);
  return last === undefined ? 0 : last.idx + (last.code === BPF_LD_IMM64 ? 2 : 1);
}

/**
 * A fuzz program as a corpus case (XDP, GPL, the fuzz maps; BTF func_info when it takes a
 * function's address, as clang would give it), or a reason it cannot be loaded on the kernel as
 * is (a map reference out of range: bpf-run has no fd to put there).
 */
export function fuzzCase(name: string, raw: readonly Insn[]): CorpusCase | string {
  const insns = normalize(raw);
  const slots = slotCount(insns);
  const starts = new Set<number>([0]);
  let takesAddress = false;
  for (const i of insns) {
    if (i.code === BPF_LD_IMM64 && (i.src === BPF_PSEUDO_MAP_FD || i.src === BPF_PSEUDO_MAP_VALUE) &&
      !(i.imm >= 0 && i.imm < FUZZ_CORPUS_MAPS.length)) return `ld_imm64 at ${i.idx} names map ${i.imm}`;
    const callee = (i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_CALL) || (i.code === BPF_LD_IMM64 && i.src === BPF_PSEUDO_FUNC)
      ? i.idx + i.imm + 1 : -1;
    if (i.code === BPF_LD_IMM64 && i.src === BPF_PSEUDO_FUNC) takesAddress = true;
    if (callee > 0 && callee < slots) starts.add(callee);
  }
  const subprogs = [...starts].sort((a, b) => a - b)
    .map((start, k) => ({ start, global: false, name: k === 0 ? 'prog' : `func${k}`, proto: { params: [], ret: 'int' as const } }));
  return {
    name, progType: B.BPF_PROG_TYPE_XDP, license: 'GPL', maps: FUZZ_CORPUS_MAPS, insns, expect: { ok: true },
    subprogs, withFuncInfo: takesAddress, lines: [],
  };
}

/** One verifier's answer. */
export type Verdict =
  | { readonly ok: true; readonly processed: number }
  | { readonly ok: false; readonly errno: number; readonly msg: string; readonly processed: number | undefined };

/** The two answers and how they differ ('' when they agree). */
export interface Comparison {
  readonly tsbpf: Verdict;
  readonly kernel: Verdict;
  /** What differs: 'verdict', 'errno', 'message' or 'processed'; '' when nothing does. */
  readonly diff: '' | 'verdict' | 'errno' | 'message' | 'processed';
  /** A short name for the cause of a difference, to group them ('' when they agree). */
  readonly key: string;
}

/**
 * The refusal's first line (verifierMessage()); at level 1 an infinite loop's message follows the
 * jump that closed the loop on the same line, so it is looked for there too.
 */
function refusal(lines: readonly string[]): string {
  for (let k = lines.length - 1; k >= 0; k--) {
    const m = /infinite loop detected at insn \d+/.exec(lines[k] ?? '');
    if (m) return m[0];
  }
  return verifierMessage(lines);
}

function processedOf(log: string): number | undefined {
  const m = /processed (\d+) insns/.exec(log);
  return m ? Number(m[1]) : undefined;
}

/** The kernel's nr_cpu_ids (the highest possible CPU + 1), which bounds bpf_get_smp_processor_id(). */
export function kernelCpuIds(): number | undefined {
  try {
    const m = /(\d+)\s*$/.exec(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
    return m ? Number(m[1]) + 1 : undefined;
  } catch {
    return undefined;
  }
}

/** tsbpf's verdict at log level 1, with the kernel's complexity limit and CPU count. */
export function tsbpfVerdict(c: CorpusCase, logLevel: 1 | 2 = 1): Verdict & { readonly log: readonly string[] } {
  const nrCpus = kernelCpuIds();
  try {
    const r = verify({ ...verifierProgram(c), ...(nrCpus !== undefined ? { nrCpus } : {}) }, { logLevel });
    return { ok: true, processed: r.processed, log: r.log };
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    return { ok: false, errno: e.errno, msg: refusal(e.log), processed: processedOf(e.log.join('\n')), log: e.log };
  }
}

/**
 * The kernel's verdict (load only, log level 1).
 * @throws {Error} when the kernel refused something before the verifier (BTF, a map).
 */
export function kernelVerdict(c: CorpusCase, logLevel: 1 | 2 = 1): Verdict & { readonly log: readonly string[] } {
  const r = runOnKernel(kernelSpec(c, encodeProgram(c.insns), logLevel));
  const log = r.log ?? '';
  const lines = log.split('\n');
  if (r.ok) return { ok: true, processed: processedOf(log) ?? -1, log: lines };
  if (r.stage !== 'load') throw new Error(`kernel refused at ${r.stage}: ${r.message}`);
  // A log that overflowed the buffer turns the errno into ENOSPC: the verifier's own is the one without a log.
  const errno = r.errno === ENOSPC ? (() => { const q = runOnKernel(kernelSpec(c, encodeProgram(c.insns), 0)); return q.ok ? r.errno : q.errno; })() : r.errno;
  return { ok: false, errno, msg: log === '' ? r.message : refusal(lines), processed: processedOf(log), log: lines };
}

const errnoName = (n: number): string => (ERRNO_NAMES as Readonly<Record<number, string>>)[n] ?? `errno ${n}`;

/** The first words of a message with its numbers and register names blanked, to group by cause. */
function shape(msg: string): string {
  return msg.replace(/-?\b(0x[0-9a-f]+|\d+)\b/g, 'N').replace(/\b[Rr]\d+\b/g, 'R').slice(0, 60);
}

/** Both verdicts and what differs. */
export function compareVerdicts(tsbpf: Verdict, kernel: Verdict): Comparison {
  const both = { tsbpf, kernel };
  if (tsbpf.ok !== kernel.ok) {
    const why = tsbpf.ok ? `kernel refuses: ${shape(kernel.ok ? '' : kernel.msg)}` : `tsbpf refuses: ${shape(tsbpf.msg)}`;
    return { ...both, diff: 'verdict', key: why };
  }
  if (!tsbpf.ok && !kernel.ok) {
    if (tsbpf.msg !== kernel.msg) return { ...both, diff: 'message', key: `tsbpf "${shape(tsbpf.msg)}" / kernel "${shape(kernel.msg)}"` };
    if (tsbpf.errno !== kernel.errno) return { ...both, diff: 'errno', key: `${shape(tsbpf.msg)}: ${errnoName(tsbpf.errno)} / ${errnoName(kernel.errno)}` };
    return { ...both, diff: '', key: '' };
  }
  if (tsbpf.ok && kernel.ok && tsbpf.processed !== kernel.processed) {
    return { ...both, diff: 'processed', key: `processed ${tsbpf.processed < kernel.processed ? 'fewer' : 'more'} than the kernel` };
  }
  return { ...both, diff: '', key: '' };
}

/** Runs one case through both verifiers. */
export function compareCase(c: CorpusCase): Comparison {
  return compareVerdicts(tsbpfVerdict(c), kernelVerdict(c));
}

/** Verdict in one line, for reports. */
export function verdictText(v: Verdict): string {
  return v.ok ? `accept (processed ${v.processed})` : `reject ${errnoName(v.errno)} "${v.msg}" (processed ${v.processed ?? '?'})`;
}

/** The jump or call target slot of an instruction, or undefined. */
function targetOf(i: Insn): number | undefined {
  const cls = insnClass(i.code);
  if (i.code === BPF_LD_IMM64) return i.src === BPF_PSEUDO_FUNC ? i.idx + i.imm + 1 : undefined;
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return undefined;
  const op = i.code & 0xf0;
  if (op === 0x90) return undefined; // exit
  if (op === BPF_CALL) return i.src === BPF_PSEUDO_CALL ? i.idx + i.imm + 1 : undefined;
  if (op === BPF_JA && cls === BPF_JMP32) return i.idx + i.imm + 1;
  return i.idx + i.off + 1;
}

/** Removes instruction `k`, retargeting every jump over it (a jump to it goes to the next one). */
export function removeInsn(insns: readonly Insn[], k: number): Insn[] {
  const gone = insns[k] as Insn;
  const width = gone.code === BPF_LD_IMM64 ? 2 : 1;
  const moved = (slot: number): number => (slot > gone.idx ? slot - width : slot);
  const out: Insn[] = [];
  insns.forEach((i, n) => {
    if (n === k) return;
    const t = targetOf(i);
    if (t === undefined) { out.push(i); return; }
    const from = moved(i.idx);
    const rel = moved(t) - from - 1;
    const usesImm = i.code === BPF_LD_IMM64 || (i.code & 0xf0) === BPF_CALL || (i.code === (BPF_JMP32 | BPF_JA));
    if (usesImm) out.push(i.code === BPF_LD_IMM64 ? { ...i, imm: rel, imm64: BigInt.asUintN(32, BigInt(rel)) } : { ...i, imm: rel });
    else out.push({ ...i, off: rel });
  });
  return normalize(out);
}

/**
 * Shrinks a case while `keep` holds (say, "the two verifiers still differ the same way"):
 * instructions are removed one at a time, last first, until no single removal keeps it.
 * @returns the smallest case found and how many candidates were tried.
 */
export function minimize(c: CorpusCase, keep: (c: CorpusCase) => boolean, maxTries = 2000): { case: CorpusCase; tries: number } {
  let best = c;
  let tries = 0;
  for (let progress = true; progress && tries < maxTries;) {
    progress = false;
    for (let k = best.insns.length - 1; k >= 0 && tries < maxTries; k--) {
      if (k >= best.insns.length) continue;
      const next = fuzzCase(best.name, removeInsn(best.insns, k));
      if (typeof next === 'string') continue;
      tries++;
      let kept = false;
      try { kept = keep(next); } catch { kept = false; }
      if (kept) { best = next; progress = true; }
    }
  }
  return { case: best, tries };
}

const reg = (n: number): string => `%r${n}`;
const mem = (r: number, off: number): string => `[%r${r}${off < 0 ? '-' : '+'}${Math.abs(off)}]`;

/**
 * One instruction in the corpus dialect, jump targets as labels `L<slot>` (or a relative number
 * when the target is outside the program), or undefined when the dialect cannot express it.
 */
function asmLine(i: Insn, slots: number): string | undefined {
  const v = findVariant(i);
  if (!v) return undefined;
  const t = targetOf(i);
  const target = t !== undefined && t >= 0 && t < slots ? `L${t}` : undefined;
  const rel = (n: number): string => (n < 0 ? String(n) : `+${n}`);
  switch (v.shape) {
    case 'alu-k': return `${v.mnemonic} ${reg(i.dst)}, ${i.imm}`;
    case 'alu-x': return `${v.mnemonic} ${reg(i.dst)}, ${reg(i.src)}`;
    case 'neg': case 'end': case 'bswap': return `${v.mnemonic} ${reg(i.dst)}`;
    case 'ja': return `ja ${target ?? rel(i.off)}`;
    case 'ja32': return `ja32 ${target ?? rel(i.imm)}`;
    case 'jcc-k': return `${v.mnemonic} ${reg(i.dst)}, ${i.imm}, ${target ?? rel(i.off)}`;
    case 'jcc-x': return `${v.mnemonic} ${reg(i.dst)}, ${reg(i.src)}, ${target ?? rel(i.off)}`;
    case 'call-helper': return `call ${i.imm}`;
    case 'call-local': return `call local ${target ?? rel(i.imm)}`;
    case 'exit': return 'exit';
    case 'lddw':
      if (i.src === BPF_PSEUDO_MAP_FD) return `lddw ${reg(i.dst)}, map:${i.imm}`;
      if (i.src === BPF_PSEUDO_MAP_VALUE) return `lddw ${reg(i.dst)}, mapvalue:${i.imm}+${(i.imm2 ?? 0) >>> 0}`;
      if (i.src === BPF_PSEUDO_MAP_IDX && i.imm >= 0) return `lddw ${reg(i.dst)}, mapidx:${i.imm}`;
      if (i.src === BPF_PSEUDO_MAP_IDX_VALUE && i.imm >= 0) return `lddw ${reg(i.dst)}, mapidxvalue:${i.imm}+${(i.imm2 ?? 0) >>> 0}`;
      if (i.src === BPF_PSEUDO_FUNC) return target ? `lddw ${reg(i.dst)}, func:${target}` : undefined;
      return i.src === 0 ? `lddw ${reg(i.dst)}, 0x${(i.imm64 ?? 0n).toString(16)}` : undefined;
    case 'ldx': case 'ldxs': return `${v.mnemonic} ${reg(i.dst)}, ${mem(i.src, i.off)}`;
    case 'st': return `${v.mnemonic} ${mem(i.dst, i.off)}, ${i.imm}`;
    case 'stx': case 'atomic-rmw': case 'atomic-fetch': case 'atomic-xchg': case 'atomic-cmpxchg':
      return `${v.mnemonic} ${mem(i.dst, i.off)}, ${reg(i.src)}`;
    default: return undefined;
  }
}

/**
 * A case as a corpus file expecting `expect` (the kernel's verdict), with `notes` as leading
 * comments. Returns undefined when some instruction cannot be written in the dialect so that it
 * assembles back to the same bytes.
 */
export function corpusText(c: CorpusCase, kernel: Verdict, notes: readonly string[]): string | undefined {
  const slots = slotCount(c.insns);
  const targets = new Set(c.insns.map(targetOf).filter((t): t is number => t !== undefined));
  const lines = notes.map((n) => `# ${n}`);
  lines.push('# prog: xdp');
  for (const m of c.maps) lines.push(`# map: ${m.type === B.BPF_MAP_TYPE_ARRAY ? 'array' : 'hash'} key=${m.keySize} value=${m.valueSize} max=${m.maxEntries}`);
  lines.push(kernel.ok ? '# expect: accept' : `# expect: reject ${errnoName(kernel.errno)} "${kernel.msg.replace(/"/g, '')}"`);
  for (const i of c.insns) {
    const text = asmLine(i, slots);
    if (text === undefined) return undefined;
    lines.push(targets.has(i.idx) ? `L${i.idx}: ${text}` : `\t${text}`);
  }
  const out = lines.join('\n') + '\n';
  // It must assemble back to the very same program.
  try {
    const back = parseCorpusCase(c.name, out);
    const a = encodeProgram(back.insns), b = encodeProgram(c.insns);
    if (a.length !== b.length || a.some((x, k) => x !== b[k])) return undefined;
  } catch {
    return undefined;
  }
  return out;
}

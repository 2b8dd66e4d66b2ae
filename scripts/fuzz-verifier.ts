#!/usr/bin/env -S npx tsx
/**
 * Long verifier fuzzing runs (the test suite runs a bounded batch: test/verifier-fuzz.test.ts).
 *
 *   npx tsx scripts/fuzz-verifier.ts [--count N] [--seed S] [--start I] [--mutate 0..1] [--corpus]
 *   npx tsx scripts/fuzz-verifier.ts --kernel [--count N] [--seed S] [--start I] [--mutate 0..1] [--out DIR]
 *                                    [--only I,J [--logs DIR]] [--per-cause N]
 *
 * Program i of seed S comes from Rng(S * 1_000_003 + i); --start skips to index I.
 *
 * Soundness mode (default): generated XDP programs (a --mutate share of them mutated) go through
 * verify(); it must return or throw a VerifierError within 5 s, and a program it accepts must run
 * in the interpreter without a fault. With --corpus, mutants of testdata/verifier/*.s are verified
 * too (crash and hang checks only). Prints a summary and every failure with its program; exits 1
 * on any failure.
 *
 * Kernel mode (--kernel, root): every program is also loaded on the running kernel (load only,
 * log level 1) and the verdicts are compared (test/verifier-diff.ts): accepted or not, the errno,
 * the first line of the refusal, and the processed count of accepted programs. Prints the
 * differences grouped by cause with the seed and index of each program; with --out DIR, writes
 * the first few programs of each cause, shrunk while they still differ the same way, as corpus
 * files (DIR/<what>_s<seed>_<index>.s, expecting the kernel's verdict; --per-cause N of each,
 * default 2). --only lists the programs to compare, printed in full; with --logs DIR, the level-2
 * logs of both verifiers of each differing one go to DIR/s<seed>_<index>.{tsbpf,kernel}.log.
 * Exits 1 on any difference.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { disasmProgram, type Insn } from '../src/isa/index.ts';
import { kernelAvailable } from '../tools/kernel/runner.ts';
import { parseCorpusCase, verifierProgram } from '../test/verifier-corpus.ts';
import {
  compareCase, compareVerdicts, corpusText, fuzzCase, kernelVerdict, minimize, tsbpfVerdict, verdictText,
  type Comparison,
} from '../test/verifier-diff.ts';
import {
  Rng, fuzzProgram, generateVerifierProgram, mutateVerifierProgram, runAccepted, verifyOutcome,
} from '../test/verifier-fuzz.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    start: { type: 'string', default: '0' },
    mutate: { type: 'string', default: '0.5' },
    corpus: { type: 'boolean', default: false },
    kernel: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    'per-cause': { type: 'string', default: '2' },
    logs: { type: 'string' },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
const start = Number(values.start);
const mutateShare = Number(values.mutate);
const perCause = Number(values['per-cause']);
const only = values.only?.split(',').map(Number);
if (!(count > 0) || !Number.isInteger(seed) || !Number.isInteger(start) || !(mutateShare >= 0 && mutateShare <= 1) ||
  (only !== undefined && !only.every(Number.isInteger))) {
  process.stderr.write('usage: fuzz-verifier.ts [--kernel [--out DIR] [--only I,J]] [--count N] [--seed S] [--start I] [--mutate 0..1] [--corpus]\n');
  process.exit(2);
}

/** Program i of the run, and the generator state after it (the soundness mode draws more from it). */
function programAt(i: number): { insns: Insn[]; rng: Rng } {
  const rng = new Rng(seed * 1_000_003 + i);
  let insns = generateVerifierProgram(rng);
  if (rng.chance(mutateShare)) insns = mutateVerifierProgram(rng, insns);
  return { insns, rng };
}

const indices = only ?? Array.from({ length: count }, (_, k) => start + k);
const started = performance.now();
const elapsed = (): string => ((performance.now() - started) / 1000).toFixed(1);

if (values.kernel) {
  const k = kernelAvailable();
  if (!k.ok) { process.stderr.write(`the kernel cannot be asked: ${k.reason}\n`); process.exit(2); }
  const stats = { same: 0, differ: 0, skipped: 0, accepted: 0, rejected: 0 };
  const causes = new Map<string, { diff: Comparison['diff']; at: number[] }>();
  const firsts = new Map<number, Comparison>();
  for (const i of indices) {
    const c = fuzzCase(`fuzz_s${seed}_${i}`, programAt(i).insns);
    if (typeof c === 'string') { stats.skipped++; continue; }
    let cmp: Comparison;
    try {
      cmp = compareCase(c);
    } catch (e) {
      stats.skipped++;
      process.stdout.write(`p${i}: not compared: ${e instanceof Error ? e.message : String(e)}\n`);
      continue;
    }
    if (cmp.kernel.ok) stats.accepted++; else stats.rejected++;
    if (cmp.diff === '') { stats.same++; continue; }
    stats.differ++;
    const entry = causes.get(cmp.key) ?? { diff: cmp.diff, at: [] };
    entry.at.push(i);
    causes.set(cmp.key, entry);
    if (entry.at.length <= perCause) firsts.set(i, cmp);
    if (only) process.stdout.write(`p${i}: tsbpf ${verdictText(cmp.tsbpf)}\n       kernel ${verdictText(cmp.kernel)}\n${disasmProgram(c.insns).join('\n')}\n\n`);
    if (values.logs !== undefined) {
      // Level-2 logs of both sides, map addresses blanked, for a diff.
      mkdirSync(values.logs, { recursive: true });
      const blank = (l: readonly string[]): string => l.join('\n').replace(/0xffff[0-9a-f]{12}|map\[id:\d+\]/g, 'MAP').replace(/ +;/g, ' ;') + '\n';
      writeFileSync(join(values.logs, `s${seed}_${i}.tsbpf.log`), blank(tsbpfVerdict(c, 2).log));
      writeFileSync(join(values.logs, `s${seed}_${i}.kernel.log`), blank(kernelVerdict(c, 2).log));
    }
  }
  process.stdout.write(`seed ${seed}: ${indices.length} programs in ${elapsed()} s: ${JSON.stringify(stats)}\n`);
  const sorted = [...causes].sort((a, b) => b[1].at.length - a[1].at.length);
  for (const [key, { diff, at }] of sorted) {
    process.stdout.write(`  ${String(at.length).padStart(5)}  [${diff}] ${key}\n         seed ${seed} at ${at.slice(0, 12).join(',')}${at.length > 12 ? ',...' : ''}\n`);
  }
  if (values.out !== undefined) {
    mkdirSync(values.out, { recursive: true });
    let n = 0;
    for (const [i, first] of firsts) {
      const c = fuzzCase(`fuzz_s${seed}_${i}`, programAt(i).insns);
      if (typeof c === 'string') continue;
      const same = (x: typeof c): boolean => compareVerdicts(tsbpfVerdict(x), kernelVerdict(x)).key === first.key;
      const small = minimize(c, same).case;
      const cmp = compareCase(small);
      const notes = [`fuzz seed ${seed} program ${i} (${c.insns.length} insns, shrunk to ${small.insns.length})`,
        `tsbpf:  ${verdictText(cmp.tsbpf)}`, `kernel: ${verdictText(cmp.kernel)}`];
      const text = corpusText(small, cmp.kernel, notes) ??
        `${notes.map((l) => `# ${l}`).join('\n')}\n# not expressible in the corpus dialect:\n${disasmProgram(small.insns).map((l) => `#   ${l}`).join('\n')}\n`;
      const file = join(values.out, `${first.diff}_s${seed}_${i}.s`);
      writeFileSync(file, text);
      n++;
    }
    process.stdout.write(`${n} reproducers written to ${values.out}\n`);
  }
  process.exit(stats.differ > 0 ? 1 : 0);
}

const stats = { accepted: 0, rejected: 0, ranClean: 0, budget: 0, failures: 0, slowestMs: 0 };
const messages = new Map<string, number>();

function fail(what: string, insns: readonly Insn[]): void {
  stats.failures++;
  process.stdout.write(`FAIL ${what}\n${disasmProgram(insns).join('\n')}\n\n`);
}

for (const i of indices) {
  const { insns, rng } = programAt(i);
  const prog = fuzzProgram(`p${i}`, insns);
  const o = verifyOutcome(prog, rng.pick([0, 0, 1, 2] as const));
  stats.slowestMs = Math.max(stats.slowestMs, o.ms);
  if (o.kind === 'crashed') { fail(`p${i}: verify threw ${String(o.error)}\n${(o.error as Error).stack ?? ''}`, insns); continue; }
  if (o.ms > 5000) fail(`p${i}: verify took ${o.ms.toFixed(0)} ms`, insns);
  if (o.kind === 'rejected') {
    stats.rejected++;
    const log = o.error.log;
    let at = log.length - 1;
    while (at > 0 && !/^\d+: \(/.test(log[at - 1] ?? '')) at--;
    const key = (log[at] ?? '').replace(/-?\d+/g, 'N').slice(0, 70);
    messages.set(key, (messages.get(key) ?? 0) + 1);
    continue;
  }
  stats.accepted++;
  const run = runAccepted(prog, o.result, Uint8Array.from({ length: 14 + rng.int(64) }, () => rng.int(256)));
  if (run.kind === 'fault') fail(`p${i}: accepted, but the run failed: ${run.message}`, insns);
  else if (run.kind === 'budget') stats.budget++;
  else stats.ranClean++;
}

if (values.corpus) {
  const dir = join(import.meta.dirname, '..', 'testdata', 'verifier');
  const rng = new Rng(seed);
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.s') && x !== 'bounds_complexity.s')) {
    const base = verifierProgram(parseCorpusCase(f, readFileSync(join(dir, f), 'utf8')));
    for (let k = 0; k < Math.max(1, Math.floor(count / 1000)); k++) {
      const insns = mutateVerifierProgram(rng, base.insns);
      const o = verifyOutcome({ ...base, insns }, rng.pick([0, 1, 2] as const));
      if (o.kind === 'crashed') fail(`${f} mutant: verify threw ${String(o.error)}`, insns);
      else if (o.ms > 5000) fail(`${f} mutant: verify took ${o.ms.toFixed(0)} ms`, insns);
    }
  }
}

process.stdout.write(`${indices.length} programs in ${elapsed()} s: ${JSON.stringify(stats)}\nmost common refusals:\n`);
for (const [m, n] of [...messages].sort((a, b) => b[1] - a[1]).slice(0, 12)) process.stdout.write(`  ${String(n).padStart(6)}  ${m}\n`);
process.exit(stats.failures > 0 ? 1 : 0);

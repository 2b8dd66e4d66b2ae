#!/usr/bin/env -S npx tsx
/**
 * Long verifier fuzzing runs (the test suite runs a bounded batch: test/verifier-fuzz.test.ts).
 *
 *   npx tsx scripts/fuzz-verifier.ts [--count N] [--seed S] [--mutate 0..1] [--corpus]
 *
 * Generated XDP programs (a --mutate share of them mutated) go through verify(); it must return or
 * throw a VerifierError within 5 s, and a program it accepts must run in the interpreter without
 * a fault. With --corpus, mutants of testdata/verifier/*.s are verified too (crash and hang
 * checks only). Prints a summary and every failure with its program; exits 1 on any failure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { disasmProgram, type Insn } from '../src/isa/index.ts';
import { parseCorpusCase, verifierProgram } from '../test/verifier-corpus.ts';
import {
  Rng, fuzzProgram, generateVerifierProgram, mutateVerifierProgram, runAccepted, verifyOutcome,
} from '../test/verifier-fuzz.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    mutate: { type: 'string', default: '0.5' },
    corpus: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
const mutateShare = Number(values.mutate);
if (!(count > 0) || !Number.isInteger(seed) || !(mutateShare >= 0 && mutateShare <= 1)) {
  process.stderr.write('usage: fuzz-verifier.ts [--count N] [--seed S] [--mutate 0..1] [--corpus]\n');
  process.exit(2);
}

const stats = { accepted: 0, rejected: 0, ranClean: 0, budget: 0, failures: 0, slowestMs: 0 };
const messages = new Map<string, number>();

function fail(what: string, insns: readonly Insn[]): void {
  stats.failures++;
  process.stdout.write(`FAIL ${what}\n${disasmProgram(insns).join('\n')}\n\n`);
}

const started = performance.now();
for (let i = 0; i < count; i++) {
  const rng = new Rng(seed * 1_000_003 + i);
  let insns = generateVerifierProgram(rng);
  if (rng.chance(mutateShare)) insns = mutateVerifierProgram(rng, insns);
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

const seconds = ((performance.now() - started) / 1000).toFixed(1);
process.stdout.write(`${count} programs in ${seconds} s: ${JSON.stringify(stats)}\nmost common refusals:\n`);
for (const [m, n] of [...messages].sort((a, b) => b[1] - a[1]).slice(0, 12)) process.stdout.write(`  ${String(n).padStart(6)}  ${m}\n`);
process.exit(stats.failures > 0 ? 1 : 0);

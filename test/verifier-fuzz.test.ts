// Fuzzing the verifier, bounded batch (the long runs: `npx tsx scripts/fuzz-verifier.ts --count 100000`):
// generated and mutated programs, and mutants of the corpus. verify() may only return or throw a
// VerifierError, quickly; every program it accepts runs in the interpreter without a fault.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assemble, disasmProgram } from '../src/isa/index.ts';
import { parseCorpusCase, verifierProgram } from './verifier-corpus.ts';
import {
  Rng, fuzzProgram, generateVerifierProgram, mutateVerifierProgram, runAccepted, verifyOutcome,
} from './verifier-fuzz.ts';

/** One program through verify() and, when accepted, the interpreter; a failure message or undefined. */
function check(name: string, insns: ReturnType<typeof generateVerifierProgram>, rng: Rng, stats: { accepted: number; rejected: number }): string | undefined {
  const prog = fuzzProgram(name, insns);
  const o = verifyOutcome(prog, rng.pick([0, 0, 1, 2] as const));
  if (o.kind === 'crashed') return `${name}: verify threw ${String(o.error)}\n${(o.error as Error).stack ?? ''}`;
  if (o.ms > 5000) return `${name}: verify took ${o.ms.toFixed(0)} ms`;
  if (o.kind === 'rejected') { stats.rejected++; return undefined; }
  stats.accepted++;
  const packet = Uint8Array.from({ length: 14 + rng.int(64) }, () => rng.int(256));
  const run = runAccepted(prog, o.result, packet);
  return run.kind === 'fault' ? `${name}: accepted, but the run failed: ${run.message}` : undefined;
}

describe('verifier fuzzing', () => {
  it('generated programs: no crash, no hang, accepted ones run cleanly (300, seeded)', () => {
    const stats = { accepted: 0, rejected: 0 };
    for (let i = 0; i < 300; i++) {
      const rng = new Rng(0x7e51 + i);
      const insns = generateVerifierProgram(rng);
      const failure = check(`gen${i}`, insns, rng, stats);
      assert.equal(failure, undefined, `${failure}\n${disasmProgram(insns).join('\n')}`);
    }
    // The generator must exercise both sides of the verifier to prove anything.
    assert.ok(stats.accepted > 100 && stats.rejected > 30, JSON.stringify(stats));
  });

  it('mutated programs: no crash, no hang, accepted ones run cleanly (300, seeded)', () => {
    const stats = { accepted: 0, rejected: 0 };
    for (let i = 0; i < 300; i++) {
      const rng = new Rng(0xfa11 + i);
      const insns = mutateVerifierProgram(rng, generateVerifierProgram(rng));
      const failure = check(`mut${i}`, insns, rng, stats);
      assert.equal(failure, undefined, `${failure}\n${disasmProgram(insns).join('\n')}`);
    }
    assert.ok(stats.accepted > 10 && stats.rejected > 100, JSON.stringify(stats));
  });

  it('mutants of the corpus: verify() only ever throws a VerifierError', () => {
    const dir = join(import.meta.dirname, '..', 'testdata', 'verifier');
    const files = readdirSync(dir).filter((f) => f.endsWith('.s') && f !== 'bounds_complexity.s').sort();
    const rng = new Rng(0xc0de);
    let n = 0;
    for (const f of files) {
      const base = verifierProgram(parseCorpusCase(f, readFileSync(join(dir, f), 'utf8')));
      for (let k = 0; k < 3; k++) {
        const insns = mutateVerifierProgram(rng, base.insns);
        const o = verifyOutcome({ ...base, insns }, rng.pick([0, 1, 2] as const));
        assert.notEqual(o.kind, 'crashed', `${f} mutant ${k}: ${o.kind === 'crashed' ? String(o.error) : ''}\n${disasmProgram(insns).join('\n')}`);
        assert.ok(o.ms < 5000, `${f} mutant ${k}: ${o.ms} ms`);
        n++;
      }
    }
    assert.ok(n > 400, `${n} mutants`);
  });

  it('detects an unsafe program that gets through (a harness that cannot fail proves nothing)', () => {
    // Reads 8 bytes far past the packet: refused by the verifier; run anyway, it must fault.
    const insns = assemble('ldxw %r2, [%r1+0]\nldxdw %r0, [%r2+4096]\nexit');
    const prog = fuzzProgram('unsafe', insns);
    assert.equal(verifyOutcome(prog).kind, 'rejected');
    const facts = new Map([[0, { kind: 'ctx' as const, off: 0, size: 4, write: false }]]);
    const pretend = { log: [], processed: 3, subprogs: [{ start: 0, stackDepth: 0 }], facts, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0, deadSlots: [] };
    assert.equal(runAccepted(prog, pretend, new Uint8Array(64)).kind, 'fault');
  });
});

// Differential verification against the running kernel (test/verifier-diff.ts; long runs:
// `npx tsx scripts/fuzz-verifier.ts --kernel --count 5000`): a bounded batch of generated
// programs must get the kernel's verdict, errno, first refusal line and processed count. The
// shrinking and corpus writing that the script's --out uses are checked without the kernel.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assemble, disasmProgram, encodeProgram } from '../src/isa/index.ts';
import { kernelAvailable } from '../tools/kernel/runner.ts';
import { parseCorpusCase } from './verifier-corpus.ts';
import { compareCase, compareVerdicts, corpusText, fuzzCase, minimize, removeInsn, tsbpfVerdict, verdictText } from './verifier-diff.ts';
import { Rng, generateVerifierProgram, mutateVerifierProgram } from './verifier-fuzz.ts';

const kernel = kernelAvailable();

describe('differential verification', () => {
  it('removing an instruction keeps every jump on its target', () => {
    const insns = assemble('mov %r0, 0\njeq %r0, 1, l\nlddw %r1, 5\nmov %r2, 1\nl: exit');
    const out = removeInsn(insns, 2);
    assert.deepEqual(disasmProgram(out), ['0: (b7) r0 = 0', '1: (15) if r0 == 0x1 goto pc+1', '2: (b7) r2 = 1', '3: (95) exit']);
  });

  it('shrinks a case while the property holds, and writes it as a corpus file that assembles back', () => {
    const c = fuzzCase('t', assemble('mov %r0, 0\nmov %r1, 2\nmov %r2, 3\nldxdw %r0, [%r0+0]\nexit'));
    assert.ok(typeof c !== 'string');
    const same = (x: typeof c): boolean => { const v = tsbpfVerdict(x); return !v.ok && v.msg === "R0 invalid mem access 'scalar'"; };
    const small = minimize(c, same).case;
    assert.equal(small.insns.length, 3);
    const text = corpusText(small, tsbpfVerdict(small), ['a note']);
    assert.ok(text !== undefined);
    const back = parseCorpusCase('t.s', text);
    assert.deepEqual([...encodeProgram(back.insns)], [...encodeProgram(small.insns)]);
    assert.deepEqual(back.expect, { ok: false, msg: "R0 invalid mem access 'scalar'", errno: 13 });
  });

  it('tells differences apart', () => {
    assert.equal(compareVerdicts({ ok: true, processed: 5 }, { ok: true, processed: 5 }).diff, '');
    assert.equal(compareVerdicts({ ok: true, processed: 5 }, { ok: true, processed: 6 }).diff, 'processed');
    assert.equal(compareVerdicts({ ok: false, errno: 13, msg: 'x', processed: 1 }, { ok: false, errno: 22, msg: 'x', processed: 1 }).diff, 'errno');
    assert.equal(compareVerdicts({ ok: false, errno: 13, msg: 'x', processed: 1 }, { ok: true, processed: 1 }).diff, 'verdict');
  });

  it('200 generated programs (seed 7): the kernel\'s verdict, errno, message and processed count', { skip: kernel.ok ? false : kernel.reason }, () => {
    const differ: string[] = [];
    let accepted = 0;
    for (let i = 0; i < 200; i++) {
      const rng = new Rng(7 * 1_000_003 + i);
      let insns = generateVerifierProgram(rng);
      if (rng.chance(0.5)) insns = mutateVerifierProgram(rng, insns);
      const c = fuzzCase(`p${i}`, insns);
      if (typeof c === 'string') continue;
      const r = compareCase(c);
      if (r.kernel.ok) accepted++;
      if (r.diff !== '') differ.push(`p${i}: tsbpf ${verdictText(r.tsbpf)} / kernel ${verdictText(r.kernel)}`);
    }
    assert.deepEqual(differ, []);
    assert.ok(accepted > 40, `${accepted} accepted`);
  });
});

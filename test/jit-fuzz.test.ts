// Differential fuzzing, bounded batch: generated programs on the interpreter and the JIT (checked
// and unchecked), mutated programs on the interpreter and the checked JIT. The large batch is
// `npx tsx scripts/fuzz-jit.ts --count 100000`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../src/vm/memory.ts';
import { disasmProgram } from '../src/isa/disasm.ts';
import { FUZZ_BUFFER_BYTES, Rng, generateProgram, leaksFramePointer, mutateProgram, runDifferential, runEngine } from '../src/jit/fuzz.ts';

describe('JIT differential fuzzing', () => {
  const memory = new AddressSpace();
  it('agrees with the interpreter on 300 generated programs (seeded)', () => {
    let helperCalls = 0;
    for (let i = 0; i < 300; i++) {
      const rng = new Rng(0x5eed + i);
      const insns = generateProgram(rng);
      const seed = Uint8Array.from({ length: FUZZ_BUFFER_BYTES }, () => rng.int(256));
      const diff = runDifferential(insns, memory, seed, ['jit', 'jit-unchecked']);
      assert.equal(diff, undefined, `program ${i}:\n${diff}\n${disasmProgram(insns).join('\n')}`);
      const ref = runEngine('interpreter', insns, memory, seed, 200_000);
      assert.ok(ref.result.startsWith('r0='), `generated program ${i} must be valid: ${ref.result}`);
      helperCalls += ref.trace.length;
    }
    assert.ok(helperCalls > 100, `the batch exercises helpers (${helperCalls} calls)`);
  });
  it('agrees with the interpreter on 200 mutated programs, errors included', () => {
    let errors = 0;
    for (let i = 0; i < 200; i++) {
      const rng = new Rng(0xbad + i);
      const insns = mutateProgram(rng, generateProgram(rng));
      if (leaksFramePointer(insns)) continue;
      const seed = Uint8Array.from({ length: FUZZ_BUFFER_BYTES }, () => rng.int(256));
      const diff = runDifferential(insns, memory, seed, ['jit'], { maskStackPointers: true });
      assert.equal(diff, undefined, `mutant ${i}:\n${diff}\n${disasmProgram(insns).join('\n')}`);
      if (runEngine('interpreter', insns, memory, seed, 200_000).result.startsWith('error')) errors++;
    }
    assert.ok(errors > 10, `the batch exercises faults (${errors})`);
  });
  it('detects a difference (a fuzzer that cannot fail proves nothing)', () => {
    const rng = new Rng(1);
    const insns = generateProgram(rng);
    const seed = new Uint8Array(FUZZ_BUFFER_BYTES);
    const a = runEngine('interpreter', insns, memory, seed, 200_000);
    const b = runEngine('interpreter', insns, memory, Uint8Array.from(seed, (_, i) => i + 1), 200_000);
    assert.ok(a.result !== b.result || a.buffer !== b.buffer || a.trace.join() !== b.trace.join());
  });
});

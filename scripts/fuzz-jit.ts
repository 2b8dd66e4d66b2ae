/**
 * `npx tsx scripts/fuzz-jit.ts [--count N] [--seed S] [--mutate-ratio R]`: differential fuzzing of
 * the JIT (checked and unchecked) against the interpreter on generated programs, and of the
 * checked JIT on mutated ones. Prints the first difference with the program's disassembly and
 * exits 1; exits 0 when every program agreed.
 */
import { parseArgs } from 'node:util';
import { disasmProgram } from '../src/isa/disasm.ts';
import { AddressSpace } from '../src/vm/memory.ts';
import { FUZZ_BUFFER_BYTES, Rng, leaksFramePointer, generateProgram, mutateProgram, runDifferential } from '../src/jit/fuzz.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '1000' }, seed: { type: 'string', default: '1' }, 'mutate-ratio': { type: 'string', default: '0.3' } } });
const count = Number(values.count);
const seed0 = Number(values.seed);
const mutateRatio = Number(values['mutate-ratio']);
const memory = new AddressSpace();
const t0 = Date.now();
for (let i = 0; i < count; i++) {
  const rng = new Rng(seed0 * 1_000_003 + i);
  let insns = generateProgram(rng);
  const mutated = rng.chance(mutateRatio);
  if (mutated) {
    insns = mutateProgram(rng, insns);
    if (leaksFramePointer(insns)) continue;
  }
  const seed = Uint8Array.from({ length: FUZZ_BUFFER_BYTES }, () => rng.int(256));
  const diff = runDifferential(insns, memory, seed, mutated ? ['jit'] : ['jit', 'jit-unchecked'], { maskStackPointers: mutated });
  if (diff !== undefined) {
    console.log(`program ${i} (seed ${seed0}, ${mutated ? 'mutated' : 'generated'}) differs:\n${diff}\n`);
    console.log(disasmProgram(insns).join('\n'));
    process.exit(1);
  }
  if ((i + 1) % 10000 === 0) console.log(`${i + 1} programs agree (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
console.log(`${count} programs agree (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

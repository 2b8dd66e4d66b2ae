import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../isa/asm.ts';
import { AddressSpace } from '../vm/memory.ts';
import { Interpreter } from '../vm/interpreter.ts';
import { compileProgramSync } from './program.ts';
import { orIsAddAfterShift } from './lower-alu.ts';

/** R0 of `text` with R1 = arg on the interpreter and on both JIT modes. */
function results(text: string, arg: bigint): bigint[] {
  const insns = assemble(text);
  const memory = new AddressSpace();
  const out = [new Interpreter(insns, { memory }).run([arg])];
  for (const mode of ['checked', 'unchecked'] as const) {
    const prog = compileProgramSync(insns, { memory, mode });
    out.push(prog.run([arg]));
    prog.dispose();
  }
  return out;
}

describe('JIT: OR after a shift lowered as ADD', () => {
  it('applies only to `dst |= c` right after `dst <<= k` with 0 <= c < 2^k', () => {
    const [lsh3, or5, or8, orNeg, or5other, lsh0] = assemble('lsh %r0, 3\nor %r0, 5\nor %r0, 8\nor %r0, -1\nor %r1, 5\nlsh %r0, 0');
    assert.equal(orIsAddAfterShift(lsh3, or5!), true);
    assert.equal(orIsAddAfterShift(lsh3, or8!), false, 'c = 2^k overlaps the shifted value');
    assert.equal(orIsAddAfterShift(lsh3, orNeg!), false, 'a negative immediate sign-extends into the high bits');
    assert.equal(orIsAddAfterShift(lsh3, or5other!), false, 'another register');
    assert.equal(orIsAddAfterShift(lsh0, or5!), false, 'a shift by 0 clears nothing');
    assert.equal(orIsAddAfterShift(undefined, or5!), false, 'the first instruction of a block');
  });

  it('gives the interpreter\'s results, including when a jump lands on the OR', () => {
    const shiftThenOr = 'mov %r0, %r1\nlsh %r0, 3\nor %r0, 7\nexit';
    // The OR is a jump target: on the jumping path R0's low bits are not zero, so it must stay an OR.
    const jumpOntoOr = 'mov %r0, %r1\njeq %r1, 5, skip\nlsh %r0, 3\nskip:\nor %r0, 7\nexit';
    for (const arg of [0n, 1n, 5n, 0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0001n]) {
      const a = results(shiftThenOr, arg);
      assert.deepEqual(a, [a[0], a[0], a[0]], `shift then or, r1 = ${arg}`);
      assert.equal(a[0], BigInt.asUintN(64, (arg << 3n) | 7n));
      const b = results(jumpOntoOr, arg);
      assert.deepEqual(b, [b[0], b[0], b[0]], `jump onto or, r1 = ${arg}`);
      assert.equal(b[0], arg === 5n ? 7n : BigInt.asUintN(64, (arg << 3n) | 7n));
    }
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../isa/asm.ts';
import { AddressSpace } from '../vm/memory.ts';
import { Interpreter } from '../vm/interpreter.ts';
import type { HelperFn } from '../vm/abi.ts';
import { compileProgramSync } from './program.ts';
import { BlockShifts, orIsAddAfterShift } from './lower-alu.ts';

/** Helper 7 returns 3 (a call between the shift and the OR). */
const helpers = (id: number): HelperFn | undefined => (id === 7 ? () => 3n : undefined);

/** R0 of `text` with R1 = arg on the interpreter and on both JIT modes. */
function results(text: string, arg: bigint): bigint[] {
  const insns = assemble(text);
  const memory = new AddressSpace();
  const out = [new Interpreter(insns, { memory, helpers }).run([arg])];
  for (const mode of ['checked', 'unchecked'] as const) {
    const prog = compileProgramSync(insns, { memory, mode, helpers });
    out.push(prog.run([arg]));
    prog.dispose();
  }
  return out;
}

describe('JIT: OR after a shift lowered as ADD', () => {
  it('applies only to `dst |= c` whose last write in the block was `dst <<= k`, with 0 <= c < 2^k', () => {
    const [lsh3, or5, or8, orNeg, or5other, lsh0] = assemble('lsh %r0, 3\nor %r0, 5\nor %r0, 8\nor %r0, -1\nor %r1, 5\nlsh %r0, 0');
    assert.equal(orIsAddAfterShift(lsh3, or5!), true);
    assert.equal(orIsAddAfterShift(lsh3, or8!), false, 'c = 2^k overlaps the shifted value');
    assert.equal(orIsAddAfterShift(lsh3, orNeg!), false, 'a negative immediate sign-extends into the high bits');
    assert.equal(orIsAddAfterShift(lsh3, or5other!), false, 'another register');
    assert.equal(orIsAddAfterShift(lsh0, or5!), false, 'a shift by 0 clears nothing');
    assert.equal(orIsAddAfterShift(undefined, or5!), false, 'no shift in the block');
  });

  it('tracks the last write of each register in a block', () => {
    const t = new BlockShifts();
    const [lsh, rsh3, mov, call] = assemble('lsh %r0, 3\nrsh %r3, 1\nmov %r0, %r1\ncall 7');
    t.note(lsh!);
    t.note(rsh3!);
    assert.equal(t.of(0), lsh, 'a write of another register keeps it');
    t.note(mov!);
    assert.equal(t.of(0), undefined, 'a later write of r0 forgets it');
    t.note(lsh!);
    t.note(call!);
    assert.equal(t.of(0), undefined, 'a call forgets every register');
  });

  it('gives the interpreter\'s results', () => {
    const cases: readonly [string, string, (r1: bigint) => bigint][] = [
      ['shift, other work, or', 'mov %r0, %r1\nlsh %r0, 3\nmov %r3, 9\nrsh %r3, 1\nor %r0, 7\nexit', (a) => BigInt.asUintN(64, (a << 3n) | 7n)],
      // The OR is a jump target: on the jumping path R0's low bits are not zero, so it must stay an OR.
      ['jump onto the or', 'mov %r0, %r1\njeq %r1, 5, skip\nlsh %r0, 3\nskip:\nor %r0, 7\nexit', (a) => (a === 5n ? 7n : BigInt.asUintN(64, (a << 3n) | 7n))],
      ['r0 rewritten in between', 'mov %r0, %r1\nlsh %r0, 3\nmov %r0, %r1\nor %r0, 7\nexit', (a) => a | 7n],
      ['a call in between', 'mov %r0, %r1\nlsh %r0, 3\ncall 7\nor %r0, 7\nexit', () => 7n],
    ];
    for (const [name, text, expect] of cases) {
      for (const arg of [0n, 1n, 5n, 0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0001n]) {
        const r = results(text, arg);
        assert.deepEqual(r, [expect(arg), expect(arg), expect(arg)], `${name}, r1 = ${arg}`);
      }
    }
  });
});

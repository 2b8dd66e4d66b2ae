// Per-instruction semantics tables for ALU and jump instructions, run through the interpreter.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../isa/asm.ts';
import { AddressSpace } from './memory.ts';
import { Interpreter } from './interpreter.ts';

const memory = new AddressSpace();
function run(asm: string, args: bigint[] = []): bigint {
  const vm = new Interpreter(assemble(asm), { memory });
  try {
    return vm.run(args);
  } finally {
    vm.dispose();
  }
}

const MAX = 0xffff_ffff_ffff_ffffn;
const MIN64 = 0x8000_0000_0000_0000n;
const neg = (x: bigint) => BigInt.asUintN(64, -x);
const hex = (x: bigint) => `0x${x.toString(16)}`;

/** [mnemonic, dst, src, expected]: `op %r0, %r1` with r0 = dst, r1 = src. */
const REG_CASES: [string, bigint, bigint, bigint][] = [
  ['add', MAX, 1n, 0n],
  ['sub', 0n, 1n, MAX],
  ['mul', MIN64, 2n, 0n],
  ['mul', 0xffff_ffffn, 0xffff_ffffn, 0xffff_fffe_0000_0001n],
  ['div', 10n, 3n, 3n],
  ['div', 10n, 0n, 0n],
  ['div', MAX, 2n, 0x7fff_ffff_ffff_ffffn],
  ['sdiv', neg(10n), 3n, neg(3n)],
  ['sdiv', neg(7n), neg(2n), 3n],
  ['sdiv', MIN64, MAX, MIN64],
  ['sdiv', 5n, 0n, 0n],
  ['mod', 10n, 3n, 1n],
  ['mod', 10n, 0n, 10n],
  ['mod', MAX, 10n, 5n],
  ['smod', neg(7n), 2n, MAX],
  ['smod', 7n, neg(2n), 1n],
  ['smod', MIN64, MAX, 0n],
  ['smod', neg(5n), 0n, neg(5n)],
  ['or', 0xf0n, 0x0fn, 0xffn],
  ['and', 0xf0f0_0000_0000_00ffn, 0xff00_0000_0000_000fn, 0xf000_0000_0000_000fn],
  ['xor', MAX, 0x1n, MAX - 1n],
  ['lsh', 1n, 63n, MIN64],
  ['lsh', 1n, 64n, 1n],
  ['lsh', 1n, 65n, 2n],
  ['rsh', MIN64, 63n, 1n],
  ['rsh', MAX, 64n, MAX],
  ['arsh', neg(16n), 2n, neg(4n)],
  ['arsh', MIN64, 63n, MAX],
  ['arsh', 0x4000_0000_0000_0000n, 62n, 1n],
  ['arsh', neg(1n), 64n, MAX],
  ['mov', 7n, 0x1234_5678_9abc_def0n, 0x1234_5678_9abc_def0n],
  ['movsx864', 7n, 0x180n, 0xffff_ffff_ffff_ff80n],
  ['movsx864', 7n, 0x7fn, 0x7fn],
  ['movsx1664', 7n, 0xffff_8000n, 0xffff_ffff_ffff_8000n],
  ['movsx3264', 7n, 0x8000_0000n, 0xffff_ffff_8000_0000n],
  ['movsx3264', 7n, 0xffff_ffff_7fff_ffffn, 0x7fff_ffffn],
  // 32-bit: operate on the low halves, zero-extend the result.
  ['add32', 0x1_0000_0005n, 0x2_0000_0003n, 8n],
  ['add32', 0xffff_ffffn, 1n, 0n],
  ['sub32', 0n, 1n, 0xffff_ffffn],
  ['mul32', 0x8000_0000n, 0xffff_ffffn, 0x8000_0000n],
  ['mul32', 0x1_0001n, 0x1_0001n, 0x2_0001n],
  ['div32', 0xffff_ffffn, 2n, 0x7fff_ffffn],
  ['div32', 10n, 0x1_0000_0000n, 0n],
  ['div32', 0x1_0000_000an, 3n, 3n],
  ['sdiv32', 0x8000_0000n, 0xffff_ffffn, 0x8000_0000n],
  ['sdiv32', 0xffff_fff9n, 2n, 0xffff_fffdn],
  ['sdiv32', 0xffff_fff9n, 0n, 0n],
  ['mod32', 0x1_0000_0007n, 0n, 7n],
  ['mod32', 0x1_0000_0007n, 5n, 2n],
  ['smod32', 0xffff_fff9n, 2n, 0xffff_ffffn],
  ['smod32', 0x8000_0000n, 0xffff_ffffn, 0n],
  ['smod32', 0x1_ffff_fff9n, 0n, 0xffff_fff9n],
  ['smod32', 7n, 0xffff_fffen, 1n],
  ['or32', 0xffff_ffff_0000_0000n, 1n, 1n],
  ['and32', MAX, 0x1_0000_00ffn, 0xffn],
  ['xor32', 0xffff_ffff_0000_0000n, 1n, 1n],
  ['lsh32', 1n, 31n, 0x8000_0000n],
  ['lsh32', 1n, 32n, 1n],
  ['lsh32', 0x11n, 60n, 0x1000_0000n],
  ['rsh32', 0x1_8000_0000n, 31n, 1n],
  ['rsh32', 0xffff_ffffn, 33n, 0x7fff_ffffn],
  ['arsh32', 0x8000_0000n, 31n, 0xffff_ffffn],
  ['arsh32', 0x1_ffff_fff0n, 2n, 0xffff_fffcn],
  ['arsh32', 0x7fff_ffffn, 30n, 1n],
  ['mov32', 7n, 0x1_2345_6789n, 0x2345_6789n],
  ['movsx832', 7n, 0x1ffn, 0xffff_ffffn],
  ['movsx1632', 7n, 0x1_8000n, 0xffff_8000n],
  ['movsx1632', 7n, 0x1_7fffn, 0x7fffn],
];

/** [instruction with an immediate, dst, expected]. The immediate is sign-extended for ALU64. */
const IMM_CASES: [string, bigint, bigint][] = [
  ['add %r0, -1', 0n, MAX],
  ['and %r0, -1', 0x1234_5678_9abc_def0n, 0x1234_5678_9abc_def0n],
  ['mov %r0, -1', 0n, MAX],
  ['mov %r0, 0x7fffffff', 0n, 0x7fff_ffffn],
  ['div %r0, -1', 10n, 0n],
  ['div %r0, -1', MAX, 1n],
  ['sdiv %r0, -1', 10n, neg(10n)],
  ['sdiv %r0, -1', MIN64, MIN64],
  ['smod %r0, -1', MIN64, 0n],
  ['mod %r0, 0x10', 0x1234n, 4n],
  ['lsh %r0, 63', 3n, MIN64],
  ['arsh %r0, 63', MIN64, MAX],
  ['mov32 %r0, -1', 0n, 0xffff_ffffn],
  ['add32 %r0, -1', 0n, 0xffff_ffffn],
  ['sdiv32 %r0, -1', 0x8000_0000n, 0x8000_0000n],
  ['smod32 %r0, -1', 0x8000_0000n, 0n],
  ['sdiv32 %r0, -3', 9n, 0xffff_fffdn],
  ['xor32 %r0, -1', 0x1_0000_0000n, 0xffff_ffffn],
  ['arsh32 %r0, 4', 0x8000_0000n, 0xf800_0000n],
  ['neg %r0', 5n, neg(5n)],
  ['neg %r0', MIN64, MIN64],
  ['neg %r0', 0n, 0n],
  ['neg32 %r0', 0x1_0000_0005n, 0xffff_fffbn],
  ['neg32 %r0', 0x8000_0000n, 0x8000_0000n],
  ['neg32 %r0', 0xffff_ffff_0000_0000n, 0n],
  ['le16 %r0', 0x0123_4567_89ab_cdefn, 0xcdefn],
  ['le32 %r0', 0x0123_4567_89ab_cdefn, 0x89ab_cdefn],
  ['le64 %r0', 0x0123_4567_89ab_cdefn, 0x0123_4567_89ab_cdefn],
  ['be16 %r0', 0x0123_4567_89ab_cdefn, 0xefcdn],
  ['be32 %r0', 0x0123_4567_89ab_cdefn, 0xefcd_ab89n],
  ['be64 %r0', 0x0123_4567_89ab_cdefn, 0xefcd_ab89_6745_2301n],
  ['bswap16 %r0', 0x0123_4567_89ab_cdefn, 0xefcdn],
  ['bswap32 %r0', 0x0123_4567_89ab_cdefn, 0xefcd_ab89n],
  ['bswap64 %r0', 0x0123_4567_89ab_cdefn, 0xefcd_ab89_6745_2301n],
  ['bswap64 %r0', 0x80n, MIN64],
];

describe('ALU semantics', () => {
  for (const [op, a, b, want] of REG_CASES) {
    it(`${op} ${hex(a)}, ${hex(b)} = ${hex(want)}`, () => {
      assert.equal(run(`mov %r0, %r1\n${op} %r0, %r2\nexit`, [a, b]), want);
    });
  }
  for (const [insn, a, want] of IMM_CASES) {
    it(`${insn} on ${hex(a)} = ${hex(want)}`, () => {
      assert.equal(run(`mov %r0, %r1\n${insn}\nexit`, [a]), want);
    });
  }
  it('the register forms do not modify the source register', () => {
    assert.equal(run('mov %r2, 3\ndiv %r1, %r2\nmov %r0, %r2\nexit', [10n]), 3n);
  });
});

/** Flags for: jeq jne jgt jge jlt jle jsgt jsge jslt jsle jset, as a string of 0/1. */
const JMP_OPS = ['jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle', 'jset'];
const JMP64: [bigint, bigint, string][] = [
  [0n, 0n, '10010101010'],
  [1n, 0n, '01110011000'],
  [0n, MAX, '01001111000'],
  [MIN64, MIN64 - 1n, '01110000110'],
  [MAX, 1n, '01110000111'],
  [MAX, MAX, '10010101011'],
];
const JMP32: [bigint, bigint, string][] = [
  [0x1_0000_0000n, 0n, '10010101010'],
  [0x8000_0000n, 0x7fff_ffffn, '01110000110'],
  [0xffff_ffffn, 0x1_0000_0001n, '01110000111'],
  [5n, 0xffff_ffff_0000_0005n, '10010101011'],
  [0x7fff_ffffn, 0x8000_0000n, '01001111000'],
];

function taken(op: string, a: bigint, b: bigint): boolean {
  return run(`mov %r0, 1\n${op} %r1, %r2, +1\nmov %r0, 0\nexit`, [a, b]) === 1n;
}

describe('jump conditions', () => {
  for (const [a, b, flags] of JMP64) {
    it(`64-bit ${hex(a)} vs ${hex(b)}`, () => {
      JMP_OPS.forEach((op, i) => assert.equal(taken(op, a, b), flags[i] === '1', op));
    });
  }
  for (const [a, b, flags] of JMP32) {
    it(`32-bit ${hex(a)} vs ${hex(b)}`, () => {
      JMP_OPS.forEach((op, i) => assert.equal(taken(`${op}32`, a, b), flags[i] === '1', `${op}32`));
    });
  }
  it('sign-extends the immediate for 64-bit jumps and truncates for 32-bit ones', () => {
    const imm = (insn: string, a: bigint) => run(`mov %r0, 1\n${insn}, +1\nmov %r0, 0\nexit`, [a]) === 1n;
    assert.equal(imm('jeq %r1, -1', MAX), true);
    assert.equal(imm('jeq %r1, -1', 0xffff_ffffn), false);
    assert.equal(imm('jeq32 %r1, -1', 0xffff_ffffn), true);
    assert.equal(imm('jgt %r1, -1', 5n), false);
    assert.equal(imm('jsgt %r1, -1', 5n), true);
    assert.equal(imm('jslt32 %r1, 0', 0x8000_0000n), true);
    assert.equal(imm('jset32 %r1, 0x100', 0x1_0000_0000n), false);
  });
  it('ja, gotol and backward jumps', () => {
    assert.equal(run('mov %r0, 1\nja +1\nmov %r0, 2\nexit'), 1n);
    assert.equal(run('mov %r0, 1\nja32 l\nmov %r0, 2\nl:\nexit'), 1n);
    assert.equal(run('mov %r0, 0\nmov %r1, 5\nl:\nadd %r0, 2\nsub %r1, 1\njne %r1, 0, l\nexit'), 10n);
  });
});

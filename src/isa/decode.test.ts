import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeInsn, decodeProgram } from './decode.ts';
import { encodeInsn, encodeProgram } from './encode.ts';
import { OPCODES, OP_VARIANTS, findVariant, type OpVariant } from './table.ts';
import { fromHex } from '../util/bytes.ts';
import { InsnError } from '../util/errors.ts';
import type { Insn } from './insn.ts';

function bytes(hex: string): Uint8Array {
  const b = fromHex(hex);
  assert.ok(b);
  return b;
}

const EXIT = '9500000000000000';

function refuses(hex: string, message: string | RegExp): void {
  assert.throws(() => decodeProgram(bytes(hex)), (e) => {
    assert.ok(e instanceof InsnError, String(e));
    assert.equal(e.errno, 22);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  }, hex);
}

// A small deterministic PRNG, so failures reproduce.
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
}

/** A random valid instruction of the given variant. */
function randomInsn(v: OpVariant, next: () => number, idx: number): Insn {
  const reg = (): number => next() % 11;
  const s16 = (): number => ((next() & 0xffff) << 16) >> 16;
  const s32 = (): number => next() | 0;
  const base = { code: v.code, dst: reg(), src: 0, off: 0, imm: 0, idx };
  switch (v.shape) {
    case 'alu-k': return { ...base, off: v.off ?? 0, imm: s32() };
    case 'alu-x': return { ...base, src: reg(), off: v.off ?? 0 };
    case 'neg': return base;
    case 'end': case 'bswap': return { ...base, imm: v.imm ?? 16 };
    case 'addr-space-cast': return { ...base, src: reg(), off: 1, imm: next() % 2 ? 1 : 0x10000 };
    case 'ja': case 'may-goto': return { ...base, dst: 0, off: s16() };
    case 'ja32': return { ...base, dst: 0, imm: s32() };
    case 'jcc-k': return { ...base, off: s16(), imm: s32() };
    case 'jcc-x': return { ...base, src: reg(), off: s16() };
    case 'call-helper': case 'call-local': return { ...base, dst: 0, src: v.src ?? 0, imm: s32() };
    case 'call-kfunc': return { ...base, dst: 0, src: v.src ?? 0, off: s16(), imm: s32() };
    case 'callx': return base;
    case 'exit': return { ...base, dst: 0 };
    case 'lddw': {
      const src = next() % 7;
      const hi = src === 1 || src === 5 ? 0 : s32();
      const lo = s32();
      return { ...base, src, imm: lo, imm2: hi, imm64: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) };
    }
    case 'ld-abs': return { ...base, dst: 0, imm: s32() };
    case 'ld-ind': return { ...base, dst: 0, src: reg(), imm: s32() };
    case 'ldx': case 'ldxs': case 'stx': return { ...base, src: reg(), off: s16() };
    case 'st': return { ...base, off: s16(), imm: s32() };
    default: return { ...base, src: reg(), off: s16(), imm: v.imm ?? 0 };
  }
}

describe('decode', () => {
  it('decodes fields, signs and ld_imm64 as one two-slot instruction', () => {
    const insns = decodeProgram(bytes('18010000efbeadde0000000078563412' + '7b1af8ff00000000' + EXIT));
    assert.deepEqual(insns, [
      { code: 0x18, dst: 1, src: 0, off: 0, imm: -559038737, imm64: 0x12345678deadbeefn, imm2: 0x12345678, idx: 0 },
      { code: 0x7b, dst: 10, src: 1, off: -8, imm: 0, idx: 2 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0, idx: 3 },
    ]);
  });

  it('refuses bad lengths, empty programs and unknown opcodes', () => {
    refuses('950000000000', 'program length 6 is not a multiple of 8 bytes');
    refuses('', 'program has no instructions');
    refuses('0d00000000000000' + EXIT, 'insn 0: unknown opcode 0xd');
    refuses(EXIT + '8c00000000000000', 'insn 1: unknown opcode 0x8c'); // ALU|NEG|X
    refuses('df00000010000000', 'insn 0: unknown opcode 0xdf'); // ALU64|END|TO_BE
    refuses('9600000000000000', 'insn 0: unknown opcode 0x96'); // JMP32|EXIT
    refuses('8600000000000000', 'insn 0: unknown opcode 0x86'); // JMP32|CALL
    refuses('e600000000000000', 'insn 0: unknown opcode 0xe6'); // JMP32|JCOND
    refuses('9900000000000000', 'insn 0: unknown opcode 0x99'); // LDX|MEMSX|DW
    refuses('3800000000000000', 'insn 0: unknown opcode 0x38'); // LD|ABS|DW
    refuses('0000000000000000', 'insn 0: unknown opcode 0x0'); // LD|IMM|W
    refuses('f500000000000000', 'insn 0: unknown opcode 0xf5'); // the kernel-internal tail call
  });

  it('accepts exactly the opcodes of the 6.18 insn table (plus callx)', () => {
    const valid = OPCODES.map((o, code) => (o ? code : -1)).filter((c) => c >= 0);
    // 2 classes x (13 ALU ops x K/X - NEG|X) + 3 END + JMP: 11 x 2 + ja + call + callx + exit + jcond;
    // JMP32: 11 x 2 + ja; LD: imm64 + 6 abs/ind; LDX: 4 + 3; ST 4; STX 4 + 4 atomic.
    assert.equal(valid.length, 2 * (12 * 2 + 1) + 3 + (22 + 5) + (22 + 1) + 7 + 7 + 4 + 8);
  });

  it('names the instruction and the field of each reserved-field violation', () => {
    refuses('07000100010000009500000000000000', 'insn 0 (add imm): offset field must be 0, is 1');
    refuses(EXIT + '04000100010000009500000000000000', 'insn 1 (add32 imm): offset field must be 0, is 1');
    refuses('0c00000001000000', 'insn 0 (add32 reg): imm field must be 0, is 1');
    refuses('3c00020000000000', 'insn 0 (div32 reg): offset field must be 0 or 1, is 2');
    refuses('bc00200000000000', 'insn 0 (mov32 reg): offset field must be 0, 8 or 16, is 32');
    refuses('bf00040000000000', 'insn 0 (mov reg): offset field must be 0, 1, 8, 16 or 32, is 4');
    refuses('bf00080001000000', 'insn 0 (mov reg): imm field must be 0, is 1');
    refuses('bf00010002000000', 'insn 0 (mov reg): addr_space_cast imm must be 0x1 or 0x10000, is 0x2');
    refuses('b400010000000000', 'insn 0 (mov32 imm): offset field must be 0, is 1');
    refuses('8700000001000000', 'insn 0 (neg): imm field must be 0, is 1');
    refuses('dc00000008000000', 'insn 0 (be): imm field must be 16, 32 or 64, is 8');
    refuses('d710000010000000', 'insn 0 (bswap): src field must be 0, is 1');
    refuses('0600010000000000', 'insn 0 (ja32): offset field must be 0, is 1');
    refuses('0500000001000000', 'insn 0 (ja): imm field must be 0, is 1');
    refuses('1510000000000000', 'insn 0 (jeq imm): src field must be 0, is 1');
    refuses('1e00000001000000', 'insn 0 (jeq32 reg): imm field must be 0, is 1');
    refuses('8530000000000000', 'insn 0 (call): src field must be 0 (helper), 1 (bpf-to-bpf) or 2 (kfunc), is 3');
    refuses('8510010000000000', 'insn 0 (call): offset field must be 0, is 1');
    refuses('8d00010000000000', 'insn 0 (call): offset field must be 0, is 1');
    refuses('e501000000000000', 'insn 0 (may_goto): dst field must be 0, is 1');
    refuses('e510000000000000', 'insn 0 (may_goto): src field must be 0, is 1');
    refuses('2001000000000000', 'insn 0 (ldabsw): dst field must be 0, is 1');
    refuses('2010000000000000', 'insn 0 (ldabsw): src field must be 0, is 1');
    refuses('4000010000000000', 'insn 0 (ldindw): offset field must be 0, is 1');
    refuses('8101000001000000', 'insn 0 (ldxsw): imm field must be 0, is 1');
    refuses('db00000002000000', 'insn 0 (atomic u64): unknown atomic operation imm 0x2');
    refuses('d300000000000000', 'insn 0 (atomic u8): atomic operation 0x0 needs a 4- or 8-byte access');
  });

  it('allows the fields the kernel allows', () => {
    // kfunc calls carry a module BTF index in off; sdiv/smod/movsx use off; gotol uses imm.
    assert.equal(decodeProgram(bytes('8520030007000000'))[0]?.off, 3);
    assert.equal(decodeProgram(bytes('3f12010000000000'))[0]?.off, 1);
    assert.equal(decodeProgram(bytes('0600000005000000'))[0]?.imm, 5);
    assert.equal(decodeProgram(bytes('bf12200000000000'))[0]?.off, 32);
    assert.equal(decodeProgram(bytes('d3a1f8ff00010000'))[0]?.imm, 0x100);
  });

  it('refuses invalid registers where a field names a register', () => {
    refuses('b70b000000000000', 'insn 0 (mov imm): dst register r11 is invalid (registers are r0..r10)');
    refuses('bf0f000000000000', 'insn 0 (mov reg): dst register r15 is invalid (registers are r0..r10)');
    refuses('bfc0000000000000', 'insn 0 (mov reg): src register r12 is invalid (registers are r0..r10)');
    refuses('79b1000000000000', 'insn 0 (ldxdw): src register r11 is invalid (registers are r0..r10)');
    refuses('8d0b000000000000', 'insn 0 (call): dst register r11 is invalid (registers are r0..r10)');
  });

  it('checks both slots of ld_imm64', () => {
    refuses('1801000001000000', 'insn 0 (lddw): truncated: the second slot is missing');
    refuses(EXIT + '1801000001000000', 'insn 1 (lddw): truncated: the second slot is missing');
    refuses('18010000010000009500000000000000', 'insn 0 (lddw): second slot: opcode field must be 0, is 0x95');
    refuses('18010000010000000001000000000000', 'insn 0 (lddw): second slot: dst field must be 0, is 1');
    refuses('18010000010000000010000000000000', 'insn 0 (lddw): second slot: src field must be 0, is 1');
    refuses('18010000010000000000010000000000', 'insn 0 (lddw): second slot: offset field must be 0, is 1');
    refuses('18010100010000000000000000000000', 'insn 0 (lddw): offset field must be 0, is 1');
    refuses('18710000010000000000000000000000', 'insn 0 (lddw): unknown src kind 7 (0..6)');
    refuses('18110000010000000000000001000000', 'insn 0 (lddw): second slot: imm field must be 0 for a map reference, is 1');
    // A map value reference carries the value offset in the second imm.
    assert.equal(decodeProgram(bytes('18210000010000000000000010000000'))[0]?.imm2, 16);
  });

  it('decodeInsn reads one instruction by slot index', () => {
    const prog = bytes('b700000007000000' + '18010000010000000000000002000000' + EXIT);
    assert.equal(decodeInsn(prog, 0).imm, 7);
    assert.equal(decodeInsn(prog, 1).imm64, 0x200000001n);
    assert.equal(decodeInsn(prog, 3).code, 0x95);
    assert.throws(() => decodeInsn(prog, 4), InsnError);
    assert.throws(() => decodeInsn(prog, 2), /unknown opcode 0x0/);
  });

  it('round-trips random valid instructions of every variant', () => {
    const next = rng(0x5eed);
    for (let round = 0; round < 20; round++) {
      const insns: Insn[] = [];
      let idx = 0;
      for (const v of OP_VARIANTS) {
        const insn = randomInsn(v, next, idx);
        insns.push(insn);
        idx += v.code === 0x18 ? 2 : 1;
        assert.equal(findVariant(insn)?.mnemonic, v.mnemonic);
      }
      const encoded = encodeProgram(insns);
      assert.deepEqual(decodeProgram(encoded), insns);
      assert.deepEqual(encodeProgram(decodeProgram(encoded)), encoded);
    }
  });

  it('encodeInsn refuses fields that do not fit', () => {
    assert.deepEqual(encodeInsn({ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }), bytes(EXIT));
    assert.throws(() => encodeInsn({ code: 0x95, dst: 16, src: 0, off: 0, imm: 0 }), /dst 16 does not fit 4 bits/);
    assert.throws(() => encodeInsn({ code: 0x05, dst: 0, src: 0, off: 0x8000, imm: 0 }), /offset 32768 does not fit s16/);
    assert.throws(() => encodeInsn({ code: 0xb7, dst: 0, src: 0, off: 0, imm: 2 ** 32 }), /does not fit 32 bits/);
    assert.throws(() => encodeInsn({ code: 0x18, dst: 0, src: 0, off: 0, imm: 1, imm64: 2n }), /disagrees with imm64/);
    // Unsigned 32-bit immediates encode as their bit pattern.
    assert.deepEqual(encodeInsn({ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0xffffffff }), bytes('b7000000ffffffff'));
  });

  // Speed is measured by `npm run bench`, not here; this checks a large program decodes whole.
  it('decodes a million-slot program', () => {
    const one = bytes('0f12000000000000' + '18010000010000000000000002000000' + '7b1af8ff00000000');
    const prog = new Uint8Array(1_000_000 * 8);
    for (let at = 0; at < prog.length; at += one.length) prog.set(one, at); // 32 bytes divide 8e6 exactly
    const insns = decodeProgram(prog);
    assert.equal(insns.length, 750_000);
    assert.equal(insns[insns.length - 1]!.idx, 999_999);
  });
});

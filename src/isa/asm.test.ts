import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, AsmError } from './asm.ts';
import { disasmProgram } from './disasm.ts';
import { encodeProgram } from './encode.ts';
import { toHex } from '../util/bytes.ts';

function hex(text: string): string {
  return toHex(encodeProgram(assemble(text)));
}

function lines(text: string): string[] {
  return disasmProgram(assemble(text)).map((l) => l.replace(/^\d+: \([0-9a-f]{2}\) /, ''));
}

function refuses(text: string, message: string, line: number): void {
  assert.throws(() => assemble(text), (e) => {
    assert.ok(e instanceof AsmError, String(e));
    assert.equal(e.errno, 22);
    assert.equal(e.line, line);
    assert.ok(e.message.includes(message), e.message);
    return true;
  });
}

describe('assemble', () => {
  it('encodes each operand form', () => {
    assert.equal(hex('mov32 %r0, 0'), 'b400000000000000');
    assert.equal(hex('mov %r0, -1'), 'b7000000ffffffff');
    assert.equal(hex('mov32 %r0, 0xffffffff'), 'b4000000ffffffff');
    assert.equal(hex('lddw %r0, 0x123456789'), '180000008967452300000000' + '01000000');
    assert.equal(hex('ldxdw %r0, [%r1+8]'), '7910080000000000');
    assert.equal(hex('stxw [%r10-4], %r1'), '631afcff00000000');
    assert.equal(hex('stb [%r1+2], 0x11'), '7201020011000000');
    assert.equal(hex('sth [%r0], 0x1234'), '6a00000034120000');
    assert.equal(hex('add32 %r0, %r1'), '0c10000000000000');
    assert.equal(hex('neg %r3'), '8703000000000000');
    assert.equal(hex('be16 %r0'), 'dc00000010000000');
    assert.equal(hex('le64 %r0'), 'd400000040000000');
    assert.equal(hex('swap32 %r0'), hex('bswap32 %r0'));
    assert.equal(hex('sdiv %r0, 3'), '3700010003000000');
    assert.equal(hex('smod32 %r0, %r1'), '9c10010000000000');
    assert.equal(hex('movsx864 %r0, %r1'), 'bf10080000000000');
    assert.equal(hex('movsx1632 %r0, %r1'), 'bc10100000000000');
    assert.equal(hex('movsx3264 %r0, %r1'), 'bf10200000000000');
    assert.equal(hex('ldxsb %r0, [%r10-1]'), '91a0ffff00000000');
    assert.equal(hex('call 5'), '8500000005000000');
    assert.equal(hex('call %r2'), '8d02000000000000');
    assert.equal(hex('call runtime 7'), '8520000007000000');
    assert.equal(hex('exit'), '9500000000000000');
    assert.equal(hex('jeq %r1, 0, +3'), '1501030000000000');
    assert.equal(hex('jne32 %r1, %r2, -1'), '5e21ffff00000000');
  });

  it('assembles the atomic forms', () => {
    assert.deepEqual(lines([
      'lock add [%r10-8], %r1', 'lock fetch add [%r10-8], %r1', 'lock or32 [%r10-4], %r1',
      'lock fetch xor32 [%r10-4], %r3', 'lock xchg [%r10-8], %r1', 'lock cmpxchg32 [%r10-8], %r1',
      'ldacqdw %r0, [%r1+0]', 'strelb [%r1+0], %r2',
    ].join('\n')), [
      'lock *(u64 *)(r10 -8) += r1', 'r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)', 'lock *(u32 *)(r10 -4) |= r1',
      'r3 = atomic_fetch_xor((u32 *)(r10 -4), r3)', 'r1 = atomic64_xchg((u64 *)(r10 -8), r1)',
      'r0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r1)', 'r0 = load_acquire((u64 *)(r1 +0))', 'store_release((u8 *)(r1 +0), r2)',
    ]);
  });

  it('resolves labels in slots, with comments and the implicit exit label', () => {
    const text = [
      '# a comment line',
      'mov %r0, 0   # trailing comment',
      'jeq %r1, 0, out',
      'lddw %r2, 1',
      'ja exit',
      'out: mov %r0, 1',
      'exit',
      'ja32 out',
      'call local func',
      'func:',
      'may_goto -1',
      'exit',
    ].join('\n');
    assert.deepEqual(lines(text), [
      'r0 = 0', 'if r1 == 0x0 goto pc+3', 'r2 = 0x1', 'goto pc+1', 'r0 = 1', 'exit', 'gotol pc-3', 'call pc+0',
      'may_goto pc-1', 'exit',
    ]);
  });

  it('refuses bad text with the line number and a clear message', () => {
    refuses('mov32 %r0, 2147483648', 'Immediate out of range: 2147483648', 1);
    refuses('mov32 %r0, 0x100000000', 'Immediate out of range: 0x100000000', 1);
    refuses('mov %r0, -2147483649', 'Immediate out of range', 1);
    refuses('exit\nja NOT_A_LABEL', 'Invalid label: NOT_A_LABEL', 2);
    refuses('lock or [%r10-8]', 'Invalid number of operands for lock', 1);
    refuses('lock', 'Invalid number of operands for lock', 1);
    refuses('lock nand [%r10-8], %r1', 'Invalid mnemonic: lock nand', 1);
    refuses('\nldxq %r0, %r1', 'Invalid mnemonic: ldxq', 2);
    refuses('ldxb %r0, %r1', 'Invalid memory operand: %r1', 1);
    refuses('ldxb %r0, [%r1+0x10000]', 'Offset out of range', 1);
    refuses('lddw %r0', 'Invalid number of operands for lddw', 1);
    refuses('or %r0, %r50', 'Invalid register: %r50', 1);
    refuses('or %r0, %r11', 'Invalid register: %r11', 1);
    refuses('movsx864 %r0, 1', 'Invalid register: 1', 1);
    refuses('a:\na:\nexit', 'Duplicate label: a', 2);
    refuses('call bogus 1', 'Invalid call mode: bogus', 1);
    refuses('ja +40000', 'Jump offset out of range', 1);
    refuses('# nothing\n', 'program has no instructions', 2);
  });
});

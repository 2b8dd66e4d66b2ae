import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  alu32, alu64, atomic, call, callKfunc, callLocal, exit, jmp, jmp32, label, ldAbs, ldFunc, ldImm64, ldInd, ldMapFd,
  ldMapValue, ldx, ldxs, mayGoto, program, st, stx,
} from './build.ts';
import { assemble } from './asm.ts';
import { decodeProgram } from './decode.ts';
import { disasmProgram } from './disasm.ts';
import { encodeProgram } from './encode.ts';
import { R0, R1, R2, R3, R10 } from './opcodes.ts';
import { BPF_FUNC_map_lookup_elem } from '../uapi/helpers.ts';
import { InsnError } from '../util/errors.ts';

describe('builder', () => {
  it('builds the same instructions as the assembler', () => {
    const built = program([
      alu64.mov.imm(R0, 0),
      alu32.add.reg(R0, R1),
      alu64.sdiv.imm(R0, 3),
      alu32.movsx(R2, R1, 16),
      alu64.movsx(R2, R1, 32),
      alu32.be(R0, 16),
      alu64.bswap(R0, 64),
      alu64.neg(R3),
      ldImm64(R1, 0x123456789n),
      ldx.dw(R0, R1, 8),
      ldxs.b(R0, R10, -1),
      st.w(R10, -4, 7),
      stx.b(R1, 2, R2),
      atomic.add64(R10, -8, R1),
      atomic.add64(R10, -8, R1, { fetch: true }),
      atomic.xor32(R10, -4, R3, { fetch: true }),
      atomic.xchg64(R10, -8, R1),
      atomic.cmpxchg32(R10, -8, R1),
      call(5),
      exit(),
    ]);
    const asm = assemble([
      'mov %r0, 0', 'add32 %r0, %r1', 'sdiv %r0, 3', 'movsx1632 %r2, %r1', 'movsx3264 %r2, %r1', 'be16 %r0',
      'bswap64 %r0', 'neg %r3', 'lddw %r1, 0x123456789', 'ldxdw %r0, [%r1+8]', 'ldxsb %r0, [%r10-1]',
      'stw [%r10-4], 7', 'stxb [%r1+2], %r2', 'lock add [%r10-8], %r1', 'lock fetch add [%r10-8], %r1',
      'lock fetch xor32 [%r10-4], %r3', 'lock xchg [%r10-8], %r1', 'lock cmpxchg32 [%r10-8], %r1', 'call 5', 'exit',
    ].join('\n'));
    assert.deepEqual(built, asm);
  });

  it('resolves labels to slot offsets, counting ld_imm64 twice', () => {
    const insns = program([
      alu64.mov.imm(R0, 0),
      jmp.jeq.imm(R1, 0, 'out'),
      ldImm64(R2, -1n),
      jmp32.jgt.reg(R1, R2, 'out'),
      label('loop'),
      mayGoto('out'),
      jmp.ja('loop'),
      jmp32.ja('out'),
      callLocal('sub'),
      label('out'),
      exit(),
      label('sub'),
      call(BPF_FUNC_map_lookup_elem),
      exit(),
    ]);
    assert.deepEqual(insns.map((i) => i.idx), [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual(disasmProgram(insns), [
      '0: (b7) r0 = 0',
      '1: (15) if r1 == 0x0 goto pc+7',
      '2: (18) r2 = 0xffffffffffffffff',
      '4: (2e) if w1 > w2 goto pc+4',
      '5: (e5) may_goto pc+3',
      '6: (05) goto pc-2',
      '7: (06) gotol pc+1',
      '8: (85) call pc+1',
      '9: (95) exit',
      '10: (85) call bpf_map_lookup_elem#1',
      '11: (95) exit',
    ]);
    assert.deepEqual(decodeProgram(encodeProgram(insns)), insns);
  });

  it('accepts numeric offsets and builds the pseudo ld_imm64 forms', () => {
    const insns = program([
      jmp.jne.imm(R1, -1, 1), ldMapFd(R1, 3), ldMapValue(R2, 3, 16), ldFunc(R3, 'f'), callKfunc(1234, 2),
      ldAbs.h(12), ldInd.w(R1, 4), label('f'), exit(),
    ]);
    assert.deepEqual(disasmProgram(insns).map((l) => l.replace(/^\d+: \(..\) /, '')), [
      'if r1 != 0xffffffff goto pc+1', 'r1 = map[id:3]', 'r2 = map[id:3][0]+16', 'r3 = subprog[+4]',
      'call kernel-function#1234', 'r0 = *(u16 *)skb[12]', 'r0 = *(u32 *)skb[r1 + 4]', 'exit',
    ]);
  });

  it('refuses unknown and duplicate labels, and offsets that do not fit', () => {
    assert.throws(() => program([jmp.ja('nowhere'), exit()]), (e) => e instanceof InsnError && /unknown label 'nowhere'/.test(e.message));
    assert.throws(() => program([label('a'), label('a'), exit()]), /duplicate label 'a'/);
    assert.throws(() => program([jmp.ja(40000)]), /offset 40000 does not fit s16/);
    // The decoder's checks run on built instructions too.
    assert.throws(() => program([alu32.le(R0, 8 as 16)]), /imm field must be 16, 32 or 64, is 8/);
  });
});

// verify()'s contract beyond the corpus (test/verifier-corpus.test.ts): the error it throws, the
// log at each level, the limit, and the facts it reports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assemble } from '../isa/index.ts';
import { BPF_MAP_TYPE_ARRAY, BPF_PROG_TYPE_XDP } from '../uapi/bpf.ts';
import { E2BIG, EACCES, EINVAL, EPROTO } from '../uapi/errno.ts';
import { verify, VerifierError, type VerifierProgram } from './index.ts';

const prog = (text: string): VerifierProgram => ({ name: 'p', insns: assemble(text), progType: BPF_PROG_TYPE_XDP, license: 'GPL', maps: [] });

describe('verify()', () => {
  it('throws a VerifierError with errno, failing insn, log and a one-line summary', () => {
    assert.throws(() => verify(prog('mov %r0, 0\nldxw %r0, [%r0+0]\nexit'), { logLevel: 1 }), (e: unknown) => {
      assert.ok(e instanceof VerifierError);
      assert.equal(e.errno, EACCES);
      assert.equal(e.insnIdx, 1);
      assert.deepEqual(e.log.slice(-2, -1), ["R0 invalid mem access 'scalar'"]);
      assert.match(e.log[e.log.length - 1] ?? '', /^processed 2 insns \(limit 1000000\) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0$/);
      assert.match(e.message, /^prog p: permission denied: R0 invalid mem access 'scalar' \(\d+ line\(s\) omitted\)$/);
      return true;
    });
  });

  it('hands back the message alone at level 0', () => {
    assert.throws(() => verify(prog('exit')), (e: unknown) => e instanceof VerifierError && e.log.join('|') === 'R0 !read_ok');
  });

  it('keeps a level-1 log only for a refused program, as the kernel does', () => {
    const r = verify(prog('mov %r0, 2\njeq %r0, 1, +1\nexit\nexit'), { logLevel: 1 });
    assert.deepEqual(r.log, ['processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0']);
    assert.ok(verify(prog('mov %r0, 2\nexit'), { logLevel: 2 }).log.includes('0: (b7) r0 = 2                        ; R0=2'));
  });

  it('stops at the instruction limit with E2BIG', () => {
    assert.throws(() => verify(prog('mov %r1, 0\nl: add %r1, 1\njlt %r1, 1000000, l\nmov %r0, 0\nexit'), { insnLimit: 1000 }),
      (e: unknown) => e instanceof VerifierError && e.errno === E2BIG && /BPF program is too large. Processed 1001 insn/.test(e.message));
  });

  // Forms the corpus dialect cannot write, found by differential fuzzing against the kernel
  // (scripts/fuzz-verifier.ts --kernel).
  describe('raw instructions, as the kernel answers them', () => {
    const raw = (fields: readonly [number, number, number, number, number][]): VerifierProgram => ({
      ...prog('exit'), insns: fields.map(([code, dst, src, off, imm], idx) => ({ code, dst, src, off, imm, idx })),
    });
    const refusal = (p: VerifierProgram): [number, string] => {
      try { verify(p); } catch (e) { if (e instanceof VerifierError) return [e.errno, e.log.join('|')]; throw e; }
      return [0, 'accepted'];
    };
    it('a register above 10 is EINVAL (__check_reg_arg())', () => {
      assert.deepEqual(refusal(raw([[0xb7, 0, 0, 0, 0], [0x07, 11, 0, 0, 5], [0x95, 0, 0, 0, 0]])), [EINVAL, 'R11 is invalid']);
    });
    it('JMP32|EXIT is no jump: check_subprogs() refuses it as the last instruction', () => {
      assert.deepEqual(refusal(raw([[0xb7, 0, 0, 0, 0], [0x96, 0, 0, 100, 0]])), [EINVAL, 'last insn is not an exit or jmp']);
    });
    it('opcodes are checked before reachability', () => {
      assert.deepEqual(refusal(raw([[0xb7, 0, 0, 0, 0], [0x95, 0, 0, 0, 0], [0xe6, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]])), [EINVAL, 'unknown opcode e6']);
    });
    it('an invalid atomic operation prints as u32 hex', () => {
      const p = raw([[0x7a, 10, 0, -8, 0], [0xb7, 1, 0, 0, 1], [0xdb, 10, 1, -8, -2], [0xb7, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]]);
      assert.deepEqual(refusal(p), [EINVAL, 'BPF_ATOMIC uses invalid atomic opcode fffffffe']);
    });
    // print_bpf_insn() names an atomic by its imm: an unknown one is a bare `BUG_xx` (no `(xx)`),
    // a byte or half-word read-modify-write prints as a 32-bit one with its size (seed 7 program
    // 1207; each line checked against this kernel's level-1 and level-2 logs).
    it('prints an atomic as the kernel does: a bare BUG_xx, or sized by its imm', () => {
      const atomicLine = (code: number, imm: number): string | undefined => {
        const p = raw([[0x7a, 10, 0, -8, 0], [0xb7, 1, 0, 0, 1], [code, 10, 1, -8, imm], [0xb7, 0, 0, 0, 0], [0x95, 0, 0, 0, 0]]);
        try { verify(p, { logLevel: 1 }); } catch (e) { if (e instanceof VerifierError) return e.log.find((l) => l.startsWith('2: ')); throw e; }
        return undefined;
      };
      assert.equal(atomicLine(0xdb, -2), '2: BUG_db');
      assert.equal(atomicLine(0xc3, -2), '2: BUG_c3');
      assert.equal(atomicLine(0xcb, 5), '2: BUG_cb');
      assert.equal(atomicLine(0xcb, 0), '2: (cb) lock *(u16 *)(r10 -8) += r1');
      assert.equal(atomicLine(0xd3, 0xa1), '2: (d3) r1 = atomic_fetch_xor((u8 *)(r10 -8), r1)');
      assert.equal(atomicLine(0xcb, 0xf1), '2: (cb) r0 = atomic_cmpxchg((u16 *)(r10 -8), r0, r1)');
    });
    // bpf_attr.fd_array: the corpus and the kernel runner load without one
    // (testdata/verifier/fuzz_map_idx_*.s); given one, the index forms name `maps[imm]`.
    it('BPF_PSEUDO_MAP_IDX needs fdArray, and names maps[imm] with it', () => {
      const map = { name: 'm', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0, hasBtf: false };
      const idx = (src: number, fdArray: boolean): VerifierProgram => ({
        ...prog('exit'), maps: [map], fdArray,
        insns: [{ code: 0x18, dst: 1, src, off: 0, imm: 0, imm2: 0, imm64: 0n, idx: 0 }, { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0, idx: 2 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0, idx: 3 }],
      });
      for (const src of [5, 6]) {
        assert.deepEqual(refusal(idx(src, false)), [EPROTO, 'fd_idx without fd_array is invalid']);
        assert.equal(verify(idx(src, true)).processed, 3);
      }
    });
  });

  it('reports dead code (never reached, never checked, as the kernel leaves it)', () => {
    const r = verify(prog('mov %r0, 2\njeq %r0, 1, +1\nexit\nldxdw %r0, [%r0+0]\nexit'));
    assert.deepEqual(r.deadSlots, [3, 4]);
  });
});

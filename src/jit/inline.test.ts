// The inline-helper hook of the JIT: which call sites see a constant R1, shared functions built
// once per module, entry values set at each entry (and given back after a nested entry), and the
// fall back to the JS helper.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../isa/asm.ts';
import type { Insn } from '../isa/insn.ts';
import { BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD } from '../isa/opcodes.ts';
import { AddressSpace } from '../vm/memory.ts';
import type { HelperFn } from '../vm/abi.ts';
import { compileProgramSync } from './program.ts';
import { buildCfg } from './cfg.ts';
import { constantR1AtHelperCalls } from './const-regs.ts';
import type { InlineSite, EntryValue } from './inline.ts';
import { CodeWriter } from './wasm/encoder.ts';
import { I64 } from './wasm/opcodes.ts';

const memory = new AddressSpace();
const MAP_A = 0x1_0001_0000n;
const MAP_B = 0x1_0002_0000n;

/** Assemble; `lddw rX, N` with N = 1 or 2 becomes a map reference resolved to MAP_A or MAP_B. */
function withMaps(text: string): Insn[] {
  return assemble(text).map((i) => (i.code === 0x18 && i.imm !== 0 ? { ...i, src: BPF_PSEUDO_MAP_FD } : i));
}
const resolve = (insn: Insn): bigint => (insn.imm === 1 ? MAP_A : MAP_B);

describe('constant R1 at helper calls', () => {
  it('follows ld_imm64 through moves and callee-saved registers, and forgets on clobbers and merges', () => {
    const insns = withMaps(`
      lddw %r6, 1
      mov %r1, %r6
      call 1
      mov %r1, %r6
      call 2
      call 3
      lddw %r1, 2
      jeq %r0, 0, +2
      lddw %r1, 1
      call 4
      lddw %r1, 2
      jeq %r0, 0, +1
      mov %r2, 0
      call 5
      mov %r0, 0
      exit
    `);
    const cfg = buildCfg(insns, [0]);
    const got = constantR1AtHelperCalls(cfg, (i) => (i.src === BPF_PSEUDO_MAP_FD ? resolve(i) : i.imm64));
    const byHelper = new Map<number, bigint | undefined>();
    for (const insn of insns) if (insn.code === 0x85) byHelper.set(insn.imm, got.get(insn.idx));
    assert.deepEqual([...byHelper], [[1, MAP_A], [2, MAP_A], [3, undefined], [4, undefined], [5, MAP_B]]);
  });

  it('keeps R6..R9 across a bpf-to-bpf call and starts callees with nothing known', () => {
    const insns = withMaps(`
      lddw %r6, 2
      lddw %r1, 1
      call local f
      mov %r1, %r6
      call 1
      exit
      f:
      call 2
      exit
    `);
    const got = constantR1AtHelperCalls(buildCfg(insns, [0]), resolve);
    const at = (imm: number): bigint | undefined => got.get(insns.find((i) => i.code === 0x85 && i.src === 0 && i.imm === imm)!.idx);
    assert.equal(at(1), MAP_B);
    assert.equal(at(2), undefined);
  });
});

describe('inline helpers', () => {
  it('get the constant R1 of their site, share functions, read entry values and fall back to JS', () => {
    const sites: InlineSite[] = [];
    let cpu = 3;
    const entryValues: EntryValue[] = [{ type: 'i64', read: () => BigInt(cpu) }];
    let hostCalls = 0;
    // Helper 1001: a nested run of the callback in R2 (as bpf_loop would), JS only.
    const helpers = new Map<number, HelperFn>([
      [1000, () => { hostCalls++; return 7n; }],
      [1001, (env, _r1, fn) => { cpu = 9; const r = env.callFunction(fn, []); cpu = 3; return r; }],
    ]);
    let builds = 0;
    const insns = withMaps(`
      lddw %r1, 1
      call 1000
      mov %r6, %r0
      lddw %r1, 2
      call 1000
      add %r6, %r0
      lddw %r2, 0
      call 1001
      add %r6, %r0
      lddw %r1, 1
      call 1000
      add %r0, %r6
      exit
      cb:
      lddw %r1, 1
      call 1000
      exit
    `);
    const fnAt = insns.findIndex((i) => i.code === 0x18 && i.imm === 0);
    const cbSlot = insns[insns.findIndex((i) => i.code === 0x95) + 1]!.idx;
    insns[fnAt] = { ...insns[fnAt]!, src: BPF_PSEUDO_FUNC, imm: cbSlot - insns[fnAt]!.idx - 1 };
    const prog = compileProgramSync(insns, {
      memory, resolveLdImm64: resolve, entryValues,
      helpers: (id) => helpers.get(id),
      inlineHelpers: (site) => {
        if (site.helperId !== 1000) return undefined;
        sites.push(site);
        return {
          emit: (c) => {
            // R0 = shared(R1) + entry value; MAP_B sites fall back to the JS helper.
            const f = c.shared('add-entry', () => {
              builds++;
              const body = new CodeWriter().get(0);
              return { params: [I64], results: [I64], locals: [], body };
            });
            if (site.r1 === MAP_B) {
              c.callHost();
              return;
            }
            c.arg(1);
            c.w.call(f);
            c.entryValue(0);
            c.w.op('i64.add');
          },
        };
      },
    });
    // (A + 3) + 7 (JS) + the callback's (A + 9) + (A + 3): the nested entry read its own value
    // and the outer one got 3 back.
    assert.equal(prog.run([]), MAP_A + 3n + 7n + MAP_A + 9n + MAP_A + 3n);
    assert.deepEqual(sites.map((s) => s.r1), [MAP_A, MAP_B, MAP_A, MAP_A]);
    assert.equal(prog.stats.inlinedCalls, 4);
    assert.equal(builds, 1, 'one shared function per key');
    assert.equal(hostCalls, 1);
    prog.dispose();
  });
});

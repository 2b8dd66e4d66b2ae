import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../isa/asm.ts';
import { program, alu64, jmp, exit, call, callLocal, ldFunc, label, ldx } from '../isa/build.ts';
import { R0, R1, R2, R3, R6, R10 } from '../isa/opcodes.ts';
import { AddressSpace } from '../vm/memory.ts';
import { Interpreter } from '../vm/interpreter.ts';
import type { HelperFn } from '../vm/abi.ts';
import { isBpfError } from '../util/errors.ts';
import { compileProgram, compileProgramSync, type JitOptions } from './program.ts';
import { structurize, type FlowNode } from './structurize.ts';
import { ByteBuf } from './wasm/encoder.ts';
import type { Insn } from '../isa/insn.ts';

const memory = new AddressSpace();

/** Run on both engines; returns [interpreter, jit] outcomes as strings. */
function both(insns: Insn[], args: bigint[], opts: Partial<JitOptions> = {}): [string, string] {
  const outcome = (f: () => bigint): string => {
    try {
      return `r0=${f()}`;
    } catch (e) {
      if (!isBpfError(e)) throw e;
      return `error: ${(e as Error).message}`;
    }
  };
  const vm = new Interpreter(insns, { memory, ...opts });
  const a = outcome(() => vm.run(args));
  vm.dispose();
  let jit: ReturnType<typeof compileProgramSync> | undefined;
  const b = outcome(() => {
    jit = compileProgramSync(insns, { memory, ...opts });
    return jit.run(args);
  });
  jit?.dispose();
  return [a, b];
}

describe('wasm encoder', () => {
  it('encodes LEB128 as the spec does', () => {
    assert.deepEqual([...new ByteBuf().u32(624485).finish()], [0xe5, 0x8e, 0x26]);
    assert.deepEqual([...new ByteBuf().s32(-123456).finish()], [0xc0, 0xbb, 0x78]);
    assert.deepEqual([...new ByteBuf().s64(-1n).finish()], [0x7f]);
    assert.deepEqual([...new ByteBuf().s64(0x8000_0000_0000_0000n).finish()], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]);
    assert.deepEqual([...new ByteBuf().s32(64).finish()], [0xc0, 0x00]);
  });
});

describe('structurize', () => {
  it('uses blocks and loops for a reducible loop', () => {
    // 0 -> 1; 1 -> 1 | 2; 2 exit
    const nodes: FlowNode[] = [{ kind: 'goto', succ: [1] }, { kind: 'cond', succ: [1, 2] }, { kind: 'exit', succ: [] }];
    const plan = structurize(nodes);
    assert.equal(plan.dispatcher, false);
    assert.ok(plan.ops.some((o) => o.op === 'loop'));
  });
  it('falls back to the dispatcher for irreducible flow', () => {
    // 0 -> 1 | 2; 1 -> 2; 2 -> 1 | 3: the 1-2 cycle has two entries.
    const nodes: FlowNode[] = [
      { kind: 'cond', succ: [1, 2] }, { kind: 'goto', succ: [2] }, { kind: 'cond', succ: [1, 3] }, { kind: 'exit', succ: [] },
    ];
    assert.equal(structurize(nodes).dispatcher, true);
  });
  it('runs irreducible programs exactly like the interpreter', () => {
    const src = `
      mov %r0, 0
      mov %r3, 5
      jgt %r1, 10, second
      first:
      add %r0, 3
      second:
      add %r0, 1
      sub %r3, 1
      jne %r3, 0, first
      exit`;
    for (const arg of [1n, 20n]) {
      const [a, b] = both(assemble(src), [arg, 0n]);
      assert.equal(b, a);
    }
    const jit = compileProgramSync(assemble(src), { memory });
    assert.equal(jit.stats.dispatcherFunctions, 1);
    jit.dispose();
  });
});

describe('JitProgram', () => {
  it('refuses reads of registers without a value, with the interpreter message', () => {
    const insns = assemble('mov %r0, %r3\nexit');
    const [a, b] = both(insns, [1n, 2n]);
    assert.match(a, /R3 !read_ok \(insn 0\)/);
    assert.equal(b, a);
    assert.deepEqual(both(insns, [1n, 2n, 3n]), ['r0=3', 'r0=3']);
  });
  it('checks path-dependent reads at run time (exact mode)', () => {
    const src = `
      jeq %r1, 0, skip
      mov %r7, 7
      skip:
      mov %r0, %r7
      exit`;
    const jit = compileProgramSync(assemble(src), { memory });
    assert.equal(jit.stats.dynamicInit, true);
    jit.dispose();
    for (const arg of [0n, 1n]) {
      const [a, b] = both(assemble(src), [arg]);
      assert.equal(b, a);
    }
    assert.match(both(assemble(src), [0n])[1], /R7 !read_ok/);
    // With fewer arguments than the compile assumed, the exact variant takes over.
    assert.deepEqual(both(assemble('jeq %r1, 0, s\nmov %r4, 1\ns:\nmov %r0, %r4\nexit'), [0n]).map((x) => x.replace(/\d+\)$/, '')), ['error: R4 !read_ok (insn ', 'error: R4 !read_ok (insn ']);
  });
  it('faults like the interpreter on out-of-bounds accesses (checked mode)', () => {
    const [a, b] = both(assemble('ldxdw %r0, [%r1+4096]\nexit'), [0x1_0001_0000n]);
    assert.match(a, /invalid memory access: read of 8 bytes/);
    assert.equal(b, a);
  });
  it('keeps the host safe in unchecked mode (a Wasm trap becomes a RunError)', () => {
    const jit = compileProgramSync(assemble('ldxdw %r0, [%r1+0]\nexit'), { memory, mode: 'unchecked' });
    assert.throws(() => jit.run([0x1_ffff_fff0n]), (e) => isBpfError(e) && /JIT code stopped/.test((e as Error).message));
    jit.dispose();
  });
  it('stops deep recursion at 8 frames with the interpreter message', () => {
    const insns = program([label('f'), callLocal('f'), exit()]);
    const [a, b] = both(insns, []);
    assert.match(a, /call stack too deep: more than 8 frames/);
    assert.equal(b, a);
  });
  it('runs callbacks through HelperEnv.callFunction, nested, on fresh stacks', () => {
    // main: r1 = &cb; call helper 7 (calls cb(10) and cb(20)); cb stores r1 on its stack, reloads it.
    const insns = program([
      ldFunc(R1, 'cb'), call(7), exit(),
      label('cb'), alu64.mov.reg(R6, R1), jmp.ja(0), { code: 0x7b, dst: R10, src: R6, off: -8, imm: 0 },
      ldx.dw(R0, R10, -8), alu64.mul.imm(R0, 2), exit(),
    ]);
    const seen: bigint[] = [];
    const helper: HelperFn = (env, fp) => {
      const x = env.callFunction(fp, [10n]);
      const y = env.callFunction(fp, [20n]);
      seen.push(x, y);
      return x + y;
    };
    const [a, b] = both(insns, [], { helpers: (id) => (id === 7 ? helper : undefined) });
    assert.equal(a, 'r0=60');
    assert.equal(b, a);
    assert.deepEqual(seen, [20n, 40n, 20n, 40n]);
  });
  it('binds a helper id to an inline Wasm implementation', () => {
    const insns = program([alu64.mov.imm(R1, 40), alu64.mov.imm(R2, 2), call(99), exit()]);
    const jit = compileProgramSync(insns, {
      memory,
      inlineHelpers: (site) => (site.helperId === 99 ? { emit: (c) => { c.arg(1); c.arg(2); c.w.op('i64.add'); } } : undefined),
    });
    assert.equal(jit.run([]), 42n);
    jit.dispose();
  });
  it('compiles asynchronously too, and bpf-to-bpf calls keep R6..R9', async () => {
    const insns = program([
      alu64.mov.imm(R6, 6), alu64.mov.imm(R1, 1), callLocal('f'), alu64.add.reg(R0, R6), exit(),
      label('f'), alu64.mov.imm(R6, 100), alu64.mov.reg(R0, R1), alu64.add.imm(R0, 10), exit(),
    ]);
    const jit = await compileProgram(insns, { memory });
    assert.equal(jit.run([]), 17n);
    jit.dispose();
    void R0; void R3;
  });
});

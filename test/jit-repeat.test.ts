// BPF_PROG_TEST_RUN's `repeat` on the JIT: the repeat entry (JitProgram.repeat, one call into the
// module for every run) against the interpreter running the program that many times, on generated
// programs and on targeted ones (memory effects that accumulate, a fault in a later run, the loop
// budget per run, callbacks); and the runtime's repeat loop (repeatRun) on both engines: `repeat`
// 0 meaning 1, the engine's loop used only for programs that cannot tail call, tail calls counted
// per run, and XDP context loads (done in WebAssembly for verified programs) seeing what the
// helpers did to the buffer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assemble } from '../src/isa/asm.ts';
import type { Insn } from '../src/isa/insn.ts';
import { alu64, call, exit, label, ldFunc, ldx, program, st, stx } from '../src/isa/build.ts';
import { R0, R1, R2, R10 } from '../src/isa/opcodes.ts';
import { disasmProgram } from '../src/isa/disasm.ts';
import { AddressSpace } from '../src/vm/memory.ts';
import { Interpreter } from '../src/vm/interpreter.ts';
import type { HelperFn } from '../src/vm/abi.ts';
import { RunError, isBpfError } from '../src/util/errors.ts';
import { E2BIG, EFAULT } from '../src/uapi/errno.ts';
import { JitProgram, compileProgramSync } from '../src/jit/program.ts';
import { FUZZ_BUFFER_BYTES, Rng, generateProgram, leaksFramePointer, mutateProgram, runDifferential, runEngine } from '../src/jit/fuzz.ts';
import { BpfObject } from '../src/runtime/object.ts';
import { ENGINE_NAMES, type Engine, type EngineName } from '../src/runtime/engine.ts';
import { objectWithAsm } from '../src/runtime/test-helpers.ts';

/** Outcome of `count` interpreter runs (stopping at the first error) or of one JIT repeat. */
function outcome(fn: () => bigint): string {
  try {
    return `r0=${fn()}`;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return `error ${(e as { errno: number }).errno} at ${(e as RunError).insnIdx}: ${(e as Error).message}`;
  }
}

function interpreterRuns(vm: Interpreter, args: readonly bigint[], count: number): bigint {
  let r0 = 0n;
  for (let i = 0; i < count; i++) r0 = vm.run(args);
  return r0;
}

/** Both engines on a fresh 8-byte counter each: [interpreter, jit] outcomes with the counter after. */
function both(text: string | Insn[], count: number, opts: { mode?: 'checked' | 'unchecked'; helpers?: (id: number) => HelperFn | undefined; maxInsns?: number } = {}): [string, string] {
  const memory = new AddressSpace();
  const insns = typeof text === 'string' ? assemble(text) : text;
  const run = (engine: 'interpreter' | 'jit'): string => {
    const counter = memory.alloc(8, { kind: 'packet', name: 'counter' });
    const common = { memory, ...(opts.helpers !== undefined ? { helpers: opts.helpers } : {}), ...(opts.maxInsns !== undefined ? { maxInsns: opts.maxInsns } : {}) };
    const args = [counter.ptr];
    let r: string;
    if (engine === 'interpreter') {
      const vm = new Interpreter(insns, common);
      r = outcome(() => interpreterRuns(vm, args, count));
      vm.dispose();
    } else {
      const jit = compileProgramSync(insns, { ...common, mode: opts.mode ?? 'checked' });
      r = outcome(() => jit.repeat(args, count));
      jit.dispose();
    }
    const after = counter.view().getBigUint64(0, true);
    memory.free(counter);
    return `${r}; counter=${after}`;
  };
  return [run('interpreter'), run('jit')];
}

/** Increments the u64 at R1; returns the new count. */
const COUNTER = `
ldxdw %r0, [%r1+0]
add %r0, 1
stxdw [%r1+0], %r0
exit
`;

/** Increments the u64 at R1, then reads NULL in its third run. */
const FAULT_IN_THIRD_RUN = `
ldxdw %r0, [%r1+0]
add %r0, 1
stxdw [%r1+0], %r0
jne %r0, 3, ok
mov %r2, 0
ldxdw %r0, [%r2+0]
ok:
exit
`;

describe('JitProgram.repeat against the interpreter run that many times', () => {
  for (const mode of ['checked', 'unchecked'] as const) {
    it(`accumulates memory effects and returns the last R0 (${mode})`, () => {
      const [vm, jit] = both(COUNTER, 7, { mode });
      assert.equal(vm, 'r0=7; counter=7');
      assert.equal(jit, vm);
      assert.deepEqual(both(COUNTER, 1, { mode }), ['r0=1; counter=1', 'r0=1; counter=1']);
    });
  }

  it('stops at the run that faults, with the interpreter\'s error (checked mode)', () => {
    const [vm, jit] = both(FAULT_IN_THIRD_RUN, 5);
    assert.match(vm, new RegExp(`^error ${EFAULT} at 5: invalid memory access: read of 8 bytes at 0x0 \\(insn 5\\); counter=3$`));
    assert.equal(jit, vm);
  });

  it('stops at the run whose helper fails, in unchecked mode too', () => {
    // Helper 9 refuses when the counter at R1 reaches 3: the run stops there with its RunError.
    const helpers = (id: number): HelperFn | undefined => (id === 9 ? (env, a) => {
      if (env.memory.load(a, 8, env.insnIdx) === 3n) throw new RunError(`helper refused (insn ${env.insnIdx})`, env.insnIdx, EFAULT);
      return 0n;
    } : undefined);
    const text = `${COUNTER.replace('exit', 'mov %r6, %r0\ncall 9\nmov %r0, %r6\nexit')}`;
    for (const mode of ['checked', 'unchecked'] as const) {
      const [vm, jit] = both(text, 5, { mode, helpers });
      assert.equal(vm, `error ${EFAULT} at 4: helper refused (insn 4); counter=3`);
      assert.equal(jit, vm, mode);
    }
  });

  it('gives each run the whole loop budget (checked mode)', () => {
    // 600 loop iterations a run, a budget of 1000: one run fits, two together would not.
    const loop = `
mov %r0, 600
l:
sub %r0, 1
jne %r0, 0, l
exit
`;
    const memory = new AddressSpace();
    const jit = compileProgramSync(assemble(loop), { memory, maxInsns: 1000 });
    assert.equal(jit.repeat([], 5), 0n);
    const long = compileProgramSync(assemble(loop.replace('600', '1001')), { memory, maxInsns: 1000 });
    assert.throws(() => long.repeat([], 2), (e: unknown) => isBpfError(e, E2BIG));
  });

  for (const mode of ['checked', 'unchecked'] as const) {
    it(`runs callbacks from helpers inside the repeated runs, on stacks of their own (${mode})`, () => {
      // main keeps R1 on its stack; helper 7 calls cb(R1) (adds 2 to the counter) and adds 1.
      const helpers = (id: number): HelperFn | undefined => (id === 7 ? (env, a, b) => env.callFunction(b, [a]) + 1n : undefined);
      const insns = program([
        stx.dw(R10, -8, R1), ldFunc(R2, 'cb'), call(7), ldx.dw(R1, R10, -8), ldx.dw(R1, R1, 0), alu64.add.reg(R0, R1), exit(),
        label('cb'), st.dw(R10, -8, 0), ldx.dw(R0, R1, 0), alu64.add.imm(R0, 2), stx.dw(R1, 0, R0), exit(),
      ]);
      const [vm, jit] = both(insns, 4, { mode, helpers });
      assert.equal(vm, 'r0=17; counter=8');
      assert.equal(jit, vm);
    });
  }

  it('refuses counts outside 1 .. 2^32 - 1 (the runtime turns repeat 0 into 1)', () => {
    const memory = new AddressSpace();
    const jit = compileProgramSync(assemble('mov %r0, 1\nexit'), { memory });
    for (const bad of [0, -1, 1.5, 2 ** 32]) assert.throws(() => jit.repeat([], bad), /repeat count/);
    assert.equal(jit.repeat([], 3), 1n);
  });
});

describe('JitProgram.repeat on generated programs', () => {
  const memory = new AddressSpace();
  it('agrees with the interpreter run 3 times on 150 generated programs (checked and unchecked)', () => {
    let changed = 0;
    for (let i = 0; i < 150; i++) {
      const rng = new Rng(0x4e9e + i);
      const insns = generateProgram(rng);
      const seed = Uint8Array.from({ length: FUZZ_BUFFER_BYTES }, () => rng.int(256));
      const diff = runDifferential(insns, memory, seed, ['jit', 'jit-unchecked'], { repeat: 3 });
      assert.equal(diff, undefined, `program ${i}:\n${diff}\n${disasmProgram(insns).join('\n')}`);
      const once = runEngine('jit', insns, memory, seed, 200_000, 1);
      const thrice = runEngine('jit', insns, memory, seed, 200_000, 3);
      if (once.buffer !== thrice.buffer || once.result !== thrice.result) changed++;
    }
    assert.ok(changed >= 5, `repeated runs see earlier runs' effects (${changed} programs differ from one run)`);
  });
  it('agrees with the interpreter run 3 times on 100 mutated programs, errors included', () => {
    for (let i = 0; i < 100; i++) {
      const rng = new Rng(0x3e9 + i);
      const insns = mutateProgram(rng, generateProgram(rng));
      if (leaksFramePointer(insns)) continue;
      const seed = Uint8Array.from({ length: FUZZ_BUFFER_BYTES }, () => rng.int(256));
      const diff = runDifferential(insns, memory, seed, ['jit'], { maskStackPointers: true, repeat: 3 });
      assert.equal(diff, undefined, `mutant ${i}:\n${diff}\n${disasmProgram(insns).join('\n')}`);
    }
  });
});

const xdpObj = (): Uint8Array => readFileSync(new URL('../testdata/scenarios/programs_xdp.bpf.o', import.meta.url));

/** Counts the calls of the engine's repeat entry of program `name`. */
function spyRepeat(obj: BpfObject, name: string): { calls: number } {
  const engine = obj.program(name).program.engine as Engine & { repeat?: Engine['repeat'] };
  const seen = { calls: 0 };
  const original = engine.repeat;
  if (original === undefined) return seen;
  engine.repeat = (args, count) => {
    seen.calls++;
    return original.call(engine, args, count);
  };
  return seen;
}

/** loader_progs' xdp_pass replaced by `text` (verified at load). */
const xdpAsm = (engine: EngineName, text: string): Promise<BpfObject> => objectWithAsm(text, { engine });

const packet = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + 1) & 0xff);

describe('BPF_PROG_TEST_RUN repeat through the runtime', () => {
  for (const engine of ENGINE_NAMES) {
    it(`${engine}: the packet's byte 20 counts the runs; repeat 0 is one run`, async () => {
      const obj = await xdpAsm(engine, `
        ldxw %r2, [%r1+0]
        ldxw %r3, [%r1+4]
        mov %r4, %r2
        add %r4, 21
        jgt %r4, %r3, out
        ldxb %r5, [%r2+20]
        add %r5, 1
        stxb [%r2+20], %r5
        mov %r0, %r5
        exit
        out:
        mov %r0, 0
        exit`);
      const seen = spyRepeat(obj, 'xdp_pass');
      const data = packet(64);
      const h = obj.program('xdp_pass');
      for (const [repeat, runs] of [[0, 1], [1, 1], [9, 9]] as const) {
        const r = h.run({ data, repeat });
        assert.equal(r.retval, (data[20]! + runs) & 0xff);
        assert.equal(r.dataOut![20], (data[20]! + runs) & 0xff);
      }
      assert.equal(seen.calls, engine === 'jit' ? 3 : 0, 'the JIT runs the whole loop in its repeat entry');
    });

    it(`${engine}: context loads after bpf_xdp_adjust_head see the moved data, run after run`, async () => {
      // Each run: data_end - data, move data 2 bytes on, data_end - data again: the lengths of
      // consecutive runs shrink by 2 (the kernel keeps one xdp_buff across the repeated runs).
      const obj = await xdpAsm(engine, `
        mov %r6, %r1
        ldxw %r2, [%r6+0]
        ldxw %r3, [%r6+4]
        mov %r7, %r3
        sub %r7, %r2
        mov %r1, %r6
        mov %r2, 2
        call 44
        jne %r0, 0, fail
        ldxw %r2, [%r6+0]
        ldxw %r3, [%r6+4]
        sub %r3, %r2
        lsh %r7, 16
        or %r7, %r3
        ldxw %r4, [%r6+12]
        lsh %r7, 8
        or %r7, %r4
        mov %r0, %r7
        exit
        fail:
        mov %r0, 99
        exit`);
      const data = packet(64);
      const h = obj.program('xdp_pass');
      const e = h.program.engine;
      if (engine === 'jit') assert.equal(e instanceof JitProgram ? e.stats.inlinedCtxLoads : -1, 5, 'the five context loads are done in WebAssembly');
      const r1 = h.run({ data });
      assert.equal(r1.retval, (64 << 24) | (62 << 8) | 1);
      const r5 = h.run({ data, repeat: 5 });
      assert.equal(r5.retval, (56 << 24) | (54 << 8) | 1);
      assert.deepEqual(r5.dataOut, data.subarray(10));
    });

    it(`${engine}: tail calls are counted per run, and such programs run one run at a time`, async () => {
      const obj = BpfObject.open(xdpObj(), { name: 'programs_xdp' });
      await obj.load({ engine });
      const seen = spyRepeat(obj, 'call_chain');
      const data = packet(64);
      // call_chain -> tail_self, which calls itself until the limit of 33 tail calls a run.
      assert.equal(obj.program('call_chain').run({ data, repeat: 3 }).retval, 1033);
      assert.equal(seen.calls, 0);
      assert.equal(obj.program('tail_a').run({ data, repeat: 4 }).retval, 10);
    });
  }
});

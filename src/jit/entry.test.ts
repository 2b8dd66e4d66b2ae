// The JIT's entry path: function pointers checked (and the last one remembered), entries nested
// in a run (callbacks) that throw and are caught by their helper, and entry values written only
// when they change, on both engines where the interpreter has the same behaviour.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { program, alu64, exit, call, callLocal, ldFunc, label, type BuiltInsn, type Label } from '../isa/build.ts';
import { R0, R1, R6 } from '../isa/opcodes.ts';
import { EINVAL, ELOOP } from '../uapi/errno.ts';
import { AddressSpace } from '../vm/memory.ts';
import { Interpreter } from '../vm/interpreter.ts';
import { encodeFuncPtr, type HelperFn } from '../vm/abi.ts';
import { RunError, isBpfError } from '../util/errors.ts';
import { compileProgramSync, type JitOptions } from './program.ts';
import type { EntryValue } from './inline.ts';

const memory = new AddressSpace();

function outcome(f: () => bigint): string {
  try {
    return `r0=${f()}`;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return `error: ${(e as Error).message}`;
  }
}

/** f1..fN, each calling the next: with main, N = 7 is the deepest chain a run may make (8 frames). */
function callChain(n: number): (BuiltInsn | Label)[] {
  const items: (BuiltInsn | Label)[] = [];
  for (let i = 1; i < n; i++) items.push(label(`f${i}`), callLocal(`f${i + 1}`), exit());
  items.push(label(`f${n}`), alu64.mov.imm(R0, 1), exit());
  return items;
}

describe('JIT entries', () => {
  for (const [chain, expected] of [[7, 'r0=6'], [8, 'error: call stack too deep: more than 8 frames at insn 19']] as const) {
    it(`give the outer run its frames back when a callback throws and its helper goes on (chain of ${chain})`, () => {
      // main: helper 2000 runs `bad` (bad -> g -> h -> helper 2001, which throws) and returns 5
      // after catching that; then main makes the deepest call chain a run may make (which fits only
      // if the frame index is the outer run's again), or one deeper (refused only if the frame base is).
      const insns = program([
        ldFunc(R1, 'bad'), call(2000), alu64.mov.reg(R6, R0), callLocal('f1'), alu64.add.reg(R0, R6), exit(),
        ...callChain(chain),
        label('bad'), callLocal('g'), exit(),
        label('g'), callLocal('h'), exit(),
        label('h'), call(2001), exit(),
      ]);
      let caught = 0;
      const helpers = new Map<number, HelperFn>([
        [2000, (env, fp) => {
          try {
            env.callFunction(fp, []);
          } catch (e) {
            if (!(e instanceof RunError)) throw e;
            caught++;
            return 5n;
          }
          return 0n;
        }],
        [2001, () => { throw new RunError('helper 2001 fails', 0, EINVAL); }],
      ]);
      const opts = { memory, helpers: (id: number) => helpers.get(id) };
      const vm = new Interpreter(insns, opts);
      assert.equal(outcome(() => vm.run([])), expected);
      vm.dispose();
      for (const mode of ['checked', 'unchecked'] as const) {
        const jit = compileProgramSync(insns, { ...opts, mode });
        assert.equal(outcome(() => jit.run([])), expected, mode);
        assert.equal(outcome(() => jit.run([])), expected, `${mode}, again`);
        jit.dispose();
      }
      assert.equal(caught, 5);
    });
  }

  it('refuse pointers that are not functions of the program, before and after a good one', () => {
    const insns = program([alu64.mov.imm(R0, 1), exit(), label('cb'), alu64.mov.reg(R0, R1), alu64.add.imm(R0, 1), exit()]);
    const jit = compileProgramSync(insns, { memory, entrySlots: [0, 2] });
    const good = encodeFuncPtr(2);
    const notAFunction = encodeFuncPtr(1);
    const refused = (fp: bigint, insnIdx: number): void => {
      assert.throws(() => jit.callFunction(fp, [1n], insnIdx), (e: unknown) => {
        assert.ok(e instanceof RunError);
        assert.equal(e.errno, EINVAL);
        assert.equal(e.insnIdx, insnIdx);
        assert.match(e.message, new RegExp(`is not a function of this program \\(insn ${insnIdx}\\)`));
        return true;
      });
    };
    refused(notAFunction, 3);
    assert.equal(jit.callFunction(good, [41n]), 42n);
    assert.equal(jit.callFunction(good, [9n]), 10n);
    refused(notAFunction, 4);
    refused(good & 0xffff_ffffn, 5);
    refused(encodeFuncPtr(99), 6);
    assert.equal(jit.callFunction(good, [0n]), 1n);
    jit.dispose();
  });

  it('stop the 17th nested entry with ELOOP at the calling instruction, as before', () => {
    // cb calls helper 3000, which enters cb again: 16 nested runs fit, the next one does not.
    const insns = program([ldFunc(R1, 'cb'), call(3000), exit(), label('cb'), ldFunc(R1, 'cb'), call(3000), exit()]);
    let depth = 0;
    let maxDepth = 0;
    const helpers = (id: number): HelperFn | undefined => (id === 3000 ? (env, fp) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      try {
        return env.callFunction(fp, []);
      } finally {
        depth--;
      }
    } : undefined);
    const vm = new Interpreter(insns, { memory, helpers });
    const a = outcome(() => vm.run([]));
    vm.dispose();
    const vmDepth = maxDepth;
    maxDepth = 0;
    const jit = compileProgramSync(insns, { memory, helpers });
    assert.throws(() => jit.run([]), (e: unknown) => e instanceof RunError && e.errno === ELOOP && e.insnIdx === 6);
    assert.equal(outcome(() => jit.run([])), a);
    assert.equal(maxDepth, vmDepth);
    jit.dispose();
  });

  it('set entry values at each entry, and give a nested entry\'s change back even when it throws', () => {
    let cpu = 3;
    const entryValues: EntryValue[] = [{ type: 'i64', read: () => BigInt(cpu) }];
    // Helper 99 (inline) reads the entry value; helper 4000 runs cb with cpu = 9 (cb throws when
    // R1 is 1: it calls helper 4001), then main reads the value again.
    const insns = program([
      alu64.mov.reg(R6, R1), call(99), alu64.mov.reg(R1, R0), alu64.lsh.imm(R1, 8), alu64.add.reg(R6, R1),
      ldFunc(R1, 'cb'), call(4000), alu64.lsh.imm(R0, 16), alu64.add.reg(R6, R0),
      call(99), alu64.lsh.imm(R0, 24), alu64.add.reg(R0, R6), exit(),
      label('cb'), alu64.mov.imm(R0, 0), call(99), exit(),
    ]);
    let throwIn = false;
    const helpers = new Map<number, HelperFn>([
      [4000, (env, fp) => {
        const outer = cpu;
        cpu = 9;
        try {
          return env.callFunction(fp, []);
        } catch (e) {
          if (!(e instanceof RunError)) throw e;
          return 0xeen;
        } finally {
          cpu = outer;
        }
      }],
    ]);
    const opts: JitOptions = {
      memory, entryValues,
      helpers: (id) => (id === 99 ? () => { if (throwIn && cpu === 9) throw new RunError('cb fails', 0, EINVAL); return BigInt(cpu); } : helpers.get(id)),
      inlineHelpers: (site) => (site.helperId === 99 ? { emit: (c) => { c.callHost(); c.w.op('drop'); c.entryValue(0); } } : undefined),
    };
    const jit = compileProgramSync(insns, opts);
    const expect = (outer: number, nested: number): bigint => BigInt((outer << 8) | (nested << 16)) + (BigInt(outer) << 24n);
    assert.equal(jit.run([0n]), expect(3, 9));
    cpu = 5;
    assert.equal(jit.run([0n]), expect(5, 9), 'a new value at the next run');
    assert.equal(jit.run([0n]), expect(5, 9), 'the same value again');
    throwIn = true;
    assert.equal(jit.run([0n]), expect(5, 0xee), 'the nested entry threw');
    cpu = 9;
    throwIn = false;
    assert.equal(jit.run([0n]), expect(9, 9), 'the nested value is the outer one');
    cpu = 3;
    assert.equal(jit.callFunction(encodeFuncPtr(insns[insns.length - 3]!.idx), []), 3n, 'callFunction sets it too');
    jit.dispose();
  });
});

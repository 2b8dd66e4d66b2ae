// The engines behind createEngine agree on what the runtime relies on: context regions with field
// hooks (converted loads, hooked or refused stores, atomics on the plain bytes), faults with the
// same RunError, callbacks through HelperEnv.callFunction and from outside a run (timers), and
// non-error objects thrown by helpers (tail calls) passing through unchanged.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../isa/asm.ts';
import type { Insn } from '../isa/insn.ts';
import { BPF_LDX, BPF_PSEUDO_FUNC, BPF_ST, BPF_STX, insnClass } from '../isa/opcodes.ts';
import { AddressSpace, type Region } from '../vm/memory.ts';
import type { HelperFn } from '../vm/abi.ts';
import { RunError, isBpfError } from '../util/errors.ts';
import { EACCES, EFAULT, EINVAL, EOPNOTSUPP } from '../uapi/errno.ts';
import { readFileSync } from 'node:fs';
import { JitProgram } from '../jit/program.ts';
import { Interpreter } from '../vm/interpreter.ts';
import { BpfObject } from './object.ts';
import { ENGINE_NAMES, createEngine, type Engine, type EngineName, type VerifiedProgram } from './engine.ts';

/** The converted value of the 4-byte field at offset 0 (a 64-bit pointer, as xdp_md.data). */
const FIELD0 = 0x1_2345_6789n;

interface Setup {
  readonly memory: AddressSpace;
  readonly ctx: Region;
  /** Stores the store hook accepted: [off, size, value]. */
  readonly hooked: [number, number, bigint][];
}

function ctxSetup(): Setup {
  const memory = new AddressSpace();
  const ctx = memory.alloc(24, { kind: 'ctx', name: 'test ctx' });
  const hooked: [number, number, bigint][] = [];
  ctx.fields = {
    load: (off, size) => (off === 0 && size === 4 ? FIELD0 : undefined),
    store: (off, size, value) => {
      if (off !== 8 || size !== 4) return false;
      hooked.push([off, size, value]);
      ctx.view().setUint32(8, Number(value & 0xffff_ffffn) ^ 0xff, true);
      return true;
    },
  };
  ctx.view().setUint32(4, 40, true);
  ctx.view().setUint32(12, 2, true);
  return { memory, ctx, hooked };
}

function engineFor(name: EngineName, insns: readonly Insn[], memory: AddressSpace, helpers: ReadonlyMap<number, HelperFn> = new Map(), verified?: VerifiedProgram): Engine {
  return createEngine(name, insns, {
    memory,
    helpers: (id) => helpers.get(id),
    resolveLdImm64: () => { throw new RunError('nothing to resolve', 0, EOPNOTSUPP); },
    packetOf: () => undefined,
    ...(verified !== undefined ? { verified } : {}),
  });
}

/** The accesses through R1 (the context in these programs), as a verifier would report them. */
function ctxSlots(insns: readonly Insn[]): VerifiedProgram {
  const viaR1 = (i: Insn): boolean => {
    const cls = insnClass(i.code);
    return cls === BPF_LDX ? i.src === 1 : (cls === BPF_ST || cls === BPF_STX) && i.dst === 1;
  };
  return { ctxAccessSlots: new Set(insns.filter(viaR1).map((i) => i.idx)) };
}

/** The engines, and the JIT as it runs a verified program. */
const CONFIGS: readonly { readonly label: string; readonly engine: EngineName; readonly verified: boolean }[] = [
  ...ENGINE_NAMES.map((engine) => ({ label: engine, engine, verified: false })),
  { label: 'jit, verified program', engine: 'jit', verified: true },
];

/** An error's observable parts, or the value. */
function outcome(fn: () => bigint): { value: bigint } | { errno: number; message: string } {
  try {
    return { value: fn() };
  } catch (e) {
    assert.ok(isBpfError(e), String(e));
    return { errno: e.errno, message: e.message };
  }
}

/** `lddw rN, 0` at `at` turned into a BPF_PSEUDO_FUNC pointer to `slot`. */
function funcPtrAt(insns: Insn[], at: number, slot: number): Insn[] {
  const insn = insns[at]!;
  insns[at] = { ...insn, src: BPF_PSEUDO_FUNC, imm: slot - insn.idx - 1, imm64: 0n };
  return insns;
}

describe('engines agree on context field conversion', () => {
  const prog = assemble(`
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]
    stw [%r1+8], 7
    ldxw %r4, [%r1+8]
    lock add32 [%r1+12], %r3
    ldxw %r5, [%r1+12]
    ldxdw %r6, [%r1+0]
    mov %r0, %r2
    add %r0, %r3
    lsh %r4, 8
    add %r0, %r4
    lsh %r5, 16
    add %r0, %r5
    xor %r0, %r6
    exit
  `);
  for (const { label, engine: name, verified } of CONFIGS) {
    it(`converts loads, hooks stores and leaves atomics on the plain bytes (${label})`, () => {
      const { memory, ctx, hooked } = ctxSetup();
      const engine = engineFor(name, prog, memory, new Map(), verified ? ctxSlots(prog) : undefined);
      const plain0 = ctx.view().getBigUint64(0, true);
      const r0 = engine.run([ctx.ptr]);
      // Field 0 converted (4-byte load gives the pointer); an 8-byte load at 0 reads the bytes.
      const want = ((FIELD0 + 40n + ((7n ^ 0xffn) << 8n) + (42n << 16n)) ^ plain0) & 0xffff_ffff_ffff_ffffn;
      assert.equal(r0, want);
      assert.deepEqual(hooked, [[8, 4, 7n]]);
      // A second run: nothing of the context was cached by the first one.
      ctx.view().setUint32(12, 2, true);
      assert.equal(engine.run([ctx.ptr]), want);
      engine.dispose();
    });
  }

  for (const { label, engine: name, verified } of CONFIGS) {
    it(`refuses a store the hook refuses, and faults outside the region, with the interpreter's errors (${label})`, () => {
      const { memory, ctx } = ctxSetup();
      const store = assemble('stw [%r1+16], 1\nmov %r0, 0\nexit');
      const refused = engineFor(name, store, memory, new Map(), verified ? ctxSlots(store) : undefined);
      assert.deepEqual(outcome(() => refused.run([ctx.ptr])), {
        errno: EACCES, message: "invalid access to context field: write of 4 bytes at offset 16 of ctx 'test ctx' (insn 0)",
      });
      const load = assemble('ldxdw %r0, [%r1+20]\nexit');
      const fault = engineFor(name, load, memory, new Map(), verified ? ctxSlots(load) : undefined);
      const got = outcome(() => fault.run([ctx.ptr]));
      assert.ok('errno' in got && got.errno === EFAULT && /invalid memory access: read of 8 bytes at 0x[0-9a-f]+ \(insn 0\)/.test(got.message), JSON.stringify(got));
    });
  }
});

describe('engines agree on callbacks and helper exceptions', () => {
  // main(ctx): helper 1000 (a bpf_loop: cb(i, ctx) for i < 3) with r2 = &cb; returns
  // (calls << 32) + *(u64 *)ctx. cb(i, ctx): *(u64 *)ctx += i + 1; returns 0.
  const program = (): Insn[] => funcPtrAt(assemble(`
    lddw %r2, 0
    mov %r6, %r1
    call 1000
    ldxdw %r1, [%r6+0]
    lsh %r0, 32
    add %r0, %r1
    exit
    ldxdw %r3, [%r2+0]
    add %r3, %r1
    add %r3, 1
    stxdw [%r2+0], %r3
    mov %r0, 0
    exit
  `), 0, 8);
  const loop: HelperFn = (env, ctx, fn) => {
    let n = 0n;
    for (let i = 0n; i < 3n; i++) {
      n++;
      if (env.callFunction(fn, [i, ctx]) !== 0n) break;
    }
    return n;
  };

  for (const name of ENGINE_NAMES) {
    it(`runs callbacks from helpers and from outside a run, on fresh stacks (${name})`, () => {
      const memory = new AddressSpace();
      const data = memory.alloc(8, { kind: 'packet', name: 'acc' });
      const engine = engineFor(name, program(), memory, new Map([[1000, loop]]));
      assert.equal(engine.run([data.ptr]), (3n << 32n) + 6n);
      // As the runtime fires a timer callback: three arguments, no run in progress.
      assert.equal(engine.callFunction(0xbf0f_c000_0000_0008n, [10n, data.ptr, 0n]), 0n);
      assert.equal(data.view().getBigUint64(0, true), 17n);
      assert.deepEqual(outcome(() => engine.callFunction(0xbf0f_c000_0000_0001n, [])), {
        errno: EINVAL, message: '0xbf0fc00000000001 is not a function of this program (insn 0)',
      });
      engine.dispose();
    });
  }

  for (const name of ENGINE_NAMES) {
    it(`lets a non-error object thrown by a helper through, nested or not, and runs again after (${name})`, () => {
      const memory = new AddressSpace();
      const data = memory.alloc(8, { kind: 'packet', name: 'acc' });
      const token = { tailCall: 'target' };
      let depth = 0;
      const throwing: HelperFn = (env, ctx, fn) => {
        depth++;
        try {
          if (depth === 1) env.callFunction(fn, [0n, ctx]);
          throw token;
        } finally {
          depth--;
        }
      };
      const nested = engineFor(name, program(), memory, new Map([[1000, throwing]]));
      assert.throws(() => nested.run([data.ptr]), (e: unknown) => e === token);
      const again = engineFor(name, program(), memory, new Map([[1000, loop]]));
      assert.equal(again.run([data.ptr]) >> 32n, 3n);
      assert.throws(() => nested.run([data.ptr]), (e: unknown) => e === token);
    });
  }
});

describe('BpfObject.load builds the JIT from the verifier', () => {
  const bytes = (): Uint8Array => readFileSync(new URL('../../testdata/progs/loader_progs.bpf.o', import.meta.url));
  const tcCount = async (verify: boolean): Promise<{ obj: BpfObject; stats: JitProgram['stats'] }> => {
    const obj = BpfObject.open(bytes(), { name: 'loader_progs' });
    obj.spec.programs.delete('arm_timer');
    await obj.load({ engine: 'jit', verify });
    const engine = obj.program('tc_count').program.engine;
    assert.ok(engine instanceof JitProgram);
    return { obj, stats: engine.stats };
  };

  it('verified programs run without run-time checks, their hash map calls in WebAssembly', async () => {
    const { obj, stats } = await tcCount(true);
    assert.equal(stats.checked, false);
    assert.ok(stats.inlinedCalls >= 2, `lookup and update in WebAssembly (${stats.inlinedCalls})`);
    const data = new Uint8Array(64);
    for (let i = 0; i < 3; i++) obj.program('tc_count').run({ data });
    // key = skb->len (a converted context load), three increments of one element.
    const key = new Uint8Array([64, 0, 0, 0]);
    assert.deepEqual(obj.map('counts').lookup(key), new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0]));
    obj.close();
  });

  it('unverified programs (verify: false) run checked', async () => {
    const { obj, stats } = await tcCount(false);
    assert.equal(stats.checked, true);
    obj.close();
  });
});

describe('programs beyond the host limits of WebAssembly', () => {
  it('run on the interpreter when one function would exceed the largest Wasm function body', () => {
    // 250k checked stores: some 33 bytes of WebAssembly each, 8.3 MB in one function.
    const n = 250_000;
    const memory = new AddressSpace();
    const data = memory.alloc(8, { kind: 'packet', name: 'cell' });
    const insns = assemble(`mov %r0, 7\n${'stxdw [%r1+0], %r0\n'.repeat(n)}ldxdw %r0, [%r1+0]\nexit`);
    const engine = engineFor('jit', insns, memory);
    assert.ok(engine instanceof Interpreter);
    assert.equal(engine.run([data.ptr]), 7n);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../isa/asm.ts';
import type { Insn } from '../isa/insn.ts';
import { BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, MAX_BPF_STACK } from '../isa/opcodes.ts';
import { AddressSpace } from './memory.ts';
import { Interpreter, type InterpreterOptions } from './interpreter.ts';
import { BPF_MAX_LOOPS, FUNC_PTR_TAG, decodeFuncPtr, encodeFuncPtr, type HelperFn } from './abi.ts';
import { InsnError, RunError, isBpfError } from '../util/errors.ts';
import { E2BIG, EINVAL } from '../uapi/errno.ts';

const memory = new AddressSpace();
type Opts = Omit<InterpreterOptions, 'memory'>;

function run(prog: string | Insn[], args: bigint[] = [], opts: Opts = {}): bigint {
  const vm = new Interpreter(typeof prog === 'string' ? assemble(prog) : prog, { memory, ...opts });
  try {
    return vm.run(args);
  } finally {
    vm.dispose();
  }
}

function runError(prog: string | Insn[], args: bigint[] = [], opts: Opts = {}): RunError {
  try {
    run(prog, args, opts);
  } catch (e) {
    assert.ok(e instanceof RunError, `expected a RunError, got ${String(e)}`);
    return e;
  }
  assert.fail('the program did not fail');
}

/** Replace the ld_imm64 at array index `i` by one with the given pseudo source and imm. */
function pseudo(insns: Insn[], i: number, src: number, imm: number): Insn[] {
  const out = insns.slice();
  out[i] = { ...insns[i]!, src, imm, imm64: BigInt(imm >>> 0), imm2: 0 };
  return out;
}

const MAX = 0xffff_ffff_ffff_ffffn;

describe('loads and stores', () => {
  it('st sign-extends the immediate then truncates to the size', () => {
    assert.equal(run('stdw [%r10-8], -1\nldxdw %r0, [%r10-8]\nexit'), MAX);
    assert.equal(run('stw [%r10-8], -1\nldxdw %r0, [%r10-8]\nexit'), 0xffff_ffffn);
    assert.equal(run('sth [%r10-8], 0x12345\nldxdw %r0, [%r10-8]\nexit'), 0x2345n);
    assert.equal(run('stb [%r10-1], 0x1ff\nldxb %r0, [%r10-1]\nexit'), 0xffn);
  });

  it('stx stores the low bytes of a register', () => {
    assert.equal(run('stxdw [%r10-8], %r1\nstxh [%r10-8], %r2\nldxdw %r0, [%r10-8]\nexit', [MAX, 0x1234n]), 0xffff_ffff_ffff_1234n);
  });

  it('ldxs sign-extends and ldx zero-extends', () => {
    const load = (insn: string, v: bigint) => run(`stxdw [%r10-8], %r1\n${insn} %r0, [%r10-8]\nexit`, [v]);
    assert.equal(load('ldxsb', 0x80n), 0xffff_ffff_ffff_ff80n);
    assert.equal(load('ldxsb', 0x7fn), 0x7fn);
    assert.equal(load('ldxsh', 0x8000n), 0xffff_ffff_ffff_8000n);
    assert.equal(load('ldxsw', 0x8000_0000n), 0xffff_ffff_8000_0000n);
    assert.equal(load('ldxsw', 0xffff_ffff_7fff_ffffn), 0x7fff_ffffn);
    assert.equal(load('ldxw', 0xffff_ffff_8000_0000n), 0x8000_0000n);
    assert.equal(load('ldxh', 0x8000n), 0x8000n);
  });

  it('reads and writes a region passed in r1', () => {
    const r = memory.alloc(16, { kind: 'ctx', name: 'ctx' });
    try {
      r.view().setUint32(4, 0xdeadbeef, true);
      assert.equal(run('ldxw %r0, [%r1+4]\nstxdw [%r1+8], %r0\nexit', [r.ptr]), 0xdeadbeefn);
      assert.equal(r.view().getBigUint64(8, true), 0xdeadbeefn);
    } finally {
      memory.free(r);
    }
  });

  it('ld_imm64 loads 64-bit constants', () => {
    assert.equal(run('lddw %r0, 0x123456789abcdef0\nexit'), 0x1234_5678_9abc_def0n);
  });
});

describe('atomics', () => {
  const prep = 'stxdw [%r10-8], %r1\n';
  const cases: [string, bigint, bigint, bigint, bigint][] = [
    // [instruction, memory before, r2, memory after, r2 after]
    ['lock add [%r10-8], %r2', 10n, 5n, 15n, 5n],
    ['lock fetch add [%r10-8], %r2', 10n, 5n, 15n, 10n],
    ['lock or [%r10-8], %r2', 0xf0n, 0x0fn, 0xffn, 0x0fn],
    ['lock fetch or [%r10-8], %r2', 0xf0n, 0x0fn, 0xffn, 0xf0n],
    ['lock fetch and [%r10-8], %r2', 0xf0n, 0x3cn, 0x30n, 0xf0n],
    ['lock fetch xor [%r10-8], %r2', 0xf0n, 0xffn, 0x0fn, 0xf0n],
    ['lock xchg [%r10-8], %r2', 1n, 2n, 2n, 1n],
    // 32-bit forms touch the low half only; fetch zero-extends the old value.
    ['lock add32 [%r10-8], %r2', 0x1_ffff_ffffn, 1n, 0x1_0000_0000n, 1n],
    ['lock fetch add32 [%r10-8], %r2', 0xaaaa_aaaa_8000_0000n, 0xffff_ffff_0000_0001n, 0xaaaa_aaaa_8000_0001n, 0x8000_0000n],
    ['lock fetch or32 [%r10-8], %r2', 0x5_0000_0001n, 2n, 0x5_0000_0003n, 1n],
    ['lock fetch and32 [%r10-8], %r2', 0x5_0000_0003n, 0x9_0000_0002n, 0x5_0000_0002n, 3n],
    ['lock fetch xor32 [%r10-8], %r2', 0x5_0000_0003n, 1n, 0x5_0000_0002n, 3n],
    ['lock xchg32 [%r10-8], %r2', 0x5_8000_0000n, 0x9_0000_0007n, 0x5_0000_0007n, 0x8000_0000n],
  ];
  for (const [insn, before, r2, after, r2After] of cases) {
    it(insn, () => {
      assert.equal(run(`${prep}${insn}\nldxdw %r0, [%r10-8]\nexit`, [before, r2]), after, 'memory');
      assert.equal(run(`${prep}${insn}\nmov %r0, %r2\nexit`, [before, r2]), r2After, 'src register');
    });
  }

  it('cmpxchg: success stores src, failure keeps memory; R0 gets the old value either way', () => {
    const prog = (w: string) => `${prep}lock cmpxchg${w} [%r10-8], %r2\nstxdw [%r10-16], %r0\nldxdw %r0, [%r10-8]\n`;
    const mem = (w: string, m: bigint, r0: bigint, r2: bigint) => run(`mov %r0, %r3\n${prog(w)}exit`, [m, r2, r0]);
    const r0 = (w: string, m: bigint, r0v: bigint, r2: bigint) => run(`mov %r0, %r3\n${prog(w)}ldxdw %r0, [%r10-16]\nexit`, [m, r2, r0v]);
    assert.equal(mem('', 7n, 7n, 9n), 9n);
    assert.equal(r0('', 7n, 7n, 9n), 7n);
    assert.equal(mem('', 7n, 8n, 9n), 7n);
    assert.equal(r0('', 7n, 8n, 9n), 7n);
    // 32-bit: compares the low half of R0 only and zero-extends R0.
    assert.equal(mem('32', 0x3_8000_0007n, 0xf_8000_0007n, 0x1_0000_0009n), 0x3_0000_0009n);
    assert.equal(r0('32', 0x3_8000_0007n, 0xf_8000_0007n, 9n), 0x8000_0007n);
    assert.equal(mem('32', 0x3_0000_0007n, 8n, 9n), 0x3_0000_0007n);
    assert.equal(r0('32', 0x3_8000_0007n, 0xf_0000_0008n, 9n), 0x8000_0007n);
  });

  it('load-acquire and store-release', () => {
    assert.equal(run('mov %r1, %r10\nstrelw [%r1-8], %r2\nldacqdw %r0, [%r1-8]\nexit', [0n, 0x1_2345_6789n]), 0x2345_6789n);
    assert.equal(run('stxdw [%r10-8], %r1\nldacqb %r0, [%r10-8]\nexit', [0x1ffn]), 0xffn);
  });
});

describe('bpf-to-bpf calls', () => {
  it('each frame has its own stack and R10; R6-R9 and R10 are restored on return', () => {
    const prog = `
      stdw [%r10-8], 11
      mov %r6, %r10
      mov %r1, %r10
      call local f
      ldxdw %r1, [%r10-8]
      jne %r1, 11, bad
      jne %r6, %r10, bad
      exit
    bad:
      mov %r0, -1
      exit
    f:
      stdw [%r10-8], 22
      mov %r0, %r10
      sub %r0, %r1
      mov %r6, 0
      exit`;
    const r0 = run(prog);
    assert.notEqual(r0, MAX);
    assert.notEqual(r0, 0n, 'callee R10 differs from caller R10');
  });

  it('allows 8 frames and stops at the 9th', () => {
    const chain = (n: number) => `mov %r1, ${n}\ncall local f\nmov %r0, 1\nexit\nf:\nmov %r0, 0\njeq %r1, 0, done\nsub %r1, 1\ncall local f\ndone:\nexit`;
    assert.equal(run(chain(6)), 1n);
    const e = runError(chain(7));
    assert.match(e.message, /call stack too deep: more than 8 frames at insn 7/);
    assert.equal(e.errno, E2BIG);
  });

  it('ld_imm64 BPF_PSEUDO_FUNC yields a tagged function pointer', () => {
    const insns = pseudo(assemble('lddw %r0, 0\nexit\nf:\nexit'), 0, BPF_PSEUDO_FUNC, 2);
    const p = run(insns);
    assert.equal(p & FUNC_PTR_TAG, FUNC_PTR_TAG);
    assert.equal(decodeFuncPtr(p), 3);
    assert.equal(decodeFuncPtr(encodeFuncPtr(42)), 42);
    assert.equal(decodeFuncPtr(0x1_0000_0003n), undefined);
  });
});

describe('helpers and re-entrant runs', () => {
  it('passes R1-R5 and the env, puts the result in R0', () => {
    const seen: bigint[] = [];
    const h: HelperFn = (env, ...args) => {
      seen.push(...args, BigInt(env.insnIdx));
      return -2n;
    };
    const prog = 'mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 1\nexit';
    assert.equal(run(prog, [], { helpers: (id) => (id === 1 ? h : undefined) }), MAX - 1n);
    assert.deepEqual(seen, [1n, 2n, 3n, 4n, 5n, 5n]);
  });

  it('names an unavailable helper', () => {
    const e = runError('mov %r0, 0\nmov %r1, 0\nmov %r2, 0\ncall 5\nexit');
    assert.equal(e.message, 'helper bpf_ktime_get_ns#5 is not available here (insn 3)');
    assert.equal(e.insnIdx, 3);
    assert.match(runError('call 99999\nexit').message, /helper #99999 is not available/);
  });

  it('a helper calls back into BPF, nested twice, with separate stacks', () => {
    // main: r1 = &cb, stack marker, call helper(cb, 3). cb(n): marker on its own stack, then if
    // n > 0 calls helper(cb, n - 1) again; returns n * 10 + inner result.
    const src = `
      lddw %r1, 0
      mov %r2, 3
      stdw [%r10-8], 77
      call 100
      ldxdw %r1, [%r10-8]
      jne %r1, 77, bad
      exit
    bad:
      mov %r0, -1
      exit
    cb:
      stxdw [%r10-8], %r1
      mov %r6, %r1
      mov %r0, 0
      jeq %r1, 0, out
      lddw %r1, 0
      mov %r2, %r6
      sub %r2, 1
      call 100
      ldxdw %r1, [%r10-8]
      jne %r1, %r6, bad2
    out:
      mul %r6, 10
      add %r0, %r6
      exit
    bad2:
      mov %r0, -2
      exit`;
    let insns = assemble(src);
    const cbSlot = 10;
    insns = pseudo(insns, 0, BPF_PSEUDO_FUNC, cbSlot - 0 - 1);
    const ld2 = insns.findIndex((i, k) => k > 0 && i.code === 0x18);
    insns = pseudo(insns, ld2, BPF_PSEUDO_FUNC, cbSlot - insns[ld2]!.idx - 1);
    let depth = 0;
    let maxDepth = 0;
    const helper: HelperFn = (env, r1, r2) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      try {
        return env.callFunction(r1, [r2]);
      } finally {
        depth--;
      }
    };
    const vm = new Interpreter(insns, { memory, helpers: (id) => (id === 100 ? helper : undefined) });
    assert.equal(vm.run(), 30n + 20n + 10n);
    assert.equal(maxDepth, 4);
    const regions = memory.regionCount;
    assert.equal(vm.run(), 60n);
    assert.equal(memory.regionCount, regions, 'stacks are pooled, not reallocated');
    vm.dispose();
  });

  it('stops runaway re-entry and rejects non-function pointers', () => {
    const insns = pseudo(assemble('lddw %r1, 0\ncall 100\nexit'), 0, BPF_PSEUDO_FUNC, -1);
    const helper: HelperFn = (env, r1) => env.callFunction(r1, []);
    const e = runError(insns, [], { helpers: () => helper });
    assert.match(e.message, /too many nested BPF runs/);
    const bad: HelperFn = (env) => env.callFunction(0x1_0000_0000n, []);
    assert.match(runError('call 100\nexit', [], { helpers: () => bad }).message, /0x100000000 is not a function of this program \(insn 0\)/);
  });
});

describe('faults and run-time checks', () => {
  it('NULL dereference', () => {
    const e = runError('lddw %r2, 5\nldxdw %r0, [%r1+0]\nexit', [0n]);
    assert.equal(e.message, 'invalid memory access: read of 8 bytes at 0x0 (insn 2)');
    assert.equal(e.insnIdx, 2);
    assert.equal(runError('ldxdw %r0, [%r1-8]\nexit', [0n]).message, 'invalid memory access: read of 8 bytes at 0xfffffffffffffff8 (insn 0)');
    assert.match(runError('stxb [%r1+16], %r1\nexit', [MAX - 8n]).message, /write of 1 byte at 0x7 \(insn 0\)/);
  });

  it('out of region, below and above the frame stack', () => {
    const r = memory.alloc(8, { kind: 'packet', name: 'pkt' });
    try {
      assert.match(runError('ldxw %r0, [%r1+6]\nexit', [r.ptr]).message, /read of 4 bytes at 0x[0-9a-f]+ \(insn 0\)/);
    } finally {
      memory.free(r);
    }
    assert.match(runError(`stdw [%r10-${MAX_BPF_STACK + 8}], 1\nexit`).message, /write of 8 bytes/);
    assert.match(runError('ldxb %r0, [%r10+0]\nexit').message, /read of 1 byte at/);
    assert.match(runError('stb [%r10-1], 1\ncall local f\nexit\nf:\nldxb %r0, [%r10+7]\nexit').message, /read of 1 byte at 0x[0-9a-f]+ \(insn 3\)/);
  });

  it('write into a read-only region', () => {
    const ro = memory.alloc(8, { kind: 'map', name: '.rodata', writable: false });
    try {
      assert.equal(run('ldxdw %r0, [%r1+0]\nexit', [ro.ptr]), 0n);
      assert.match(runError('stdw [%r1+0], 1\nexit', [ro.ptr]).message, /write of 8 bytes .*read-only map '\.rodata'/);
      assert.match(runError('lock add [%r1+0], %r1\nexit', [ro.ptr]).message, /read-only/);
    } finally {
      memory.free(ro);
    }
  });

  it('a fault releases the stacks', () => {
    const vm = new Interpreter(assemble('call local f\nexit\nf:\nldxdw %r0, [%r1+0]\nexit'), { memory });
    assert.throws(() => vm.run([0n]), RunError);
    const regions = memory.regionCount;
    assert.throws(() => vm.run([0n]), RunError);
    assert.equal(memory.regionCount, regions);
    vm.dispose();
  });

  it('the instruction budget stops infinite loops', () => {
    const vm = new Interpreter(assemble('l:\nja l\nexit'), { memory, maxInsns: 1000 });
    assert.throws(() => vm.run(), (e: unknown) => isBpfError(e, E2BIG) && /budget of 1000/.test((e as Error).message));
    assert.equal(vm.insnsExecuted, 1000);
    vm.dispose();
  });

  it('running off the end, bad jumps, bad registers, callx, kfuncs', () => {
    assert.match(runError('mov %r0, 1').message, /ran off the end/);
    assert.match(runError('ja +5\nexit').message, /jump out of range/);
    assert.match(runError('ja +1\nlddw %r0, 1\nexit').message, /middle of ld_imm64/);
    const insn = assemble('mov %r0, 0\nexit');
    assert.throws(() => new Interpreter([{ ...insn[0]!, dst: 11 }, insn[1]!], { memory }), InsnError);
    // callx calls the helper whose id is in the register (uBPF's form, used by the conformance suite).
    assert.match(runError('mov %r2, 1\ncall %r2\nexit').message, /helper bpf_map_lookup_elem#1 is not available/);
    assert.equal(run('mov %r1, 7\nmov %r2, 5\ncall %r2\nexit', [], { helpers: (id) => (id === 5 ? (_env, r1) => r1 * 2n : undefined) }), 14n);
    assert.match(runError('call kfunc 1234\nexit').message, /kfunc calls are not supported .*btf id 1234/);
  });

  it('ld_imm64 pseudo map kinds go through the resolver, once per instruction', () => {
    const insns = pseudo(assemble('mov %r6, 3\nl:\nlddw %r0, 0\nsub %r6, 1\njne %r6, 0, l\nexit'), 1, BPF_PSEUDO_MAP_FD, 7);
    assert.match(runError(insns).message, /pseudo source 1 .* needs the runtime/);
    let calls = 0;
    const resolveLdImm64 = (i: Insn) => {
      calls++;
      return BigInt(i.imm) + 0x1_0000_1000n;
    };
    assert.equal(run(insns, [], { resolveLdImm64 }), 0x1_0000_1007n);
    assert.equal(calls, 1);
  });
});

describe('may_goto and LD_ABS', () => {
  it(`may_goto falls through BPF_MAX_LOOPS (${BPF_MAX_LOOPS}) times, then jumps`, () => {
    const prog = 'mov %r0, 0\nl:\nmay_goto out\nadd %r0, 1\nja l\nout:\nexit';
    assert.equal(run(prog), BigInt(BPF_MAX_LOOPS));
  });

  it('LD_ABS / LD_IND read big-endian packet bytes; out of bounds returns 0 from the function', () => {
    const pkt = memory.alloc(8, { kind: 'packet', name: 'pkt' });
    pkt.bytes().set([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    const packetOf = (ctx: bigint) => (ctx === 0xc0n ? { dataPtr: pkt.ptr, lenBytes: 8 } : undefined);
    const opts = { packetOf };
    try {
      const ld = (text: string) => run(`mov %r6, 0xc0\nmov %r7, 2\n${text}\nexit`, [], opts);
      assert.equal(ld('ldabsb 1'), 0x22n);
      assert.equal(ld('ldabsh 1'), 0x2233n);
      assert.equal(ld('ldabsw 4'), 0x5566_7788n);
      assert.equal(ld('ldindw %r7, 2'), 0x5566_7788n);
      assert.equal(ld('ldabsw 5\nmov %r0, 9'), 0n, 'out of bounds exits with 0');
      assert.equal(ld('ldabsb -2097153\nmov %r0, 9'), 0n, 'below SKF_LL_OFF is out of bounds');
      // In a subprogram, only that function returns 0.
      assert.equal(run('mov %r6, 0xc0\nmov %r1, %r6\ncall local f\nadd %r0, 1\nexit\nf:\nmov %r6, %r1\nldabsb 8\nmov %r0, 9\nexit', [], opts), 1n);
      assert.match(runError('mov %r6, 0xc0\nldabsb -1\nexit', [], opts).message, /SKF_LL_OFF/);
      assert.match(runError('mov %r6, 0xc1\nldabsb 0\nexit', [], opts).message, /needs a packet/);
    } finally {
      memory.free(pkt);
    }
  });
});

describe('run()', () => {
  it('takes named arguments and an entry slot', () => {
    const vm = new Interpreter(assemble('mov %r0, %r2\nexit\nlddw %r0, 5\nexit\nmov %r0, %r3\nexit'), { memory });
    assert.equal(vm.run({ r2: 9n }), 9n);
    assert.equal(vm.run({ r3: 4n }, 5), 4n);
    assert.throws(() => vm.run([], 3), (e: unknown) => isBpfError(e, EINVAL));
    vm.dispose();
  });
});

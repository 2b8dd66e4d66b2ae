// Format checks and rendering of the printk helpers. Where the kernel is reachable, each case
// also runs bpf_trace_printk on it (the return value is the rendered length, or -EINVAL), so the
// expectations below are the kernel's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../../vm/memory.ts';
import type { HelperEnv } from '../../vm/abi.ts';
import { assemble } from '../../isa/asm.ts';
import { encodeProgram } from '../../isa/encode.ts';
import { BPF_PROG_TYPE_XDP } from '../../uapi/bpf.ts';
import { kernelAvailable, runOnKernel } from '../../../tools/kernel/runner.ts';
import { traceHelpers } from './trace.ts';
import { seededRandom, type HelperContext } from './context.ts';

const EINVAL = -22;

/** A format with up to three arguments; `str` arguments are placed in memory and passed by pointer. */
interface Case {
  readonly fmt: string;
  readonly args: readonly (bigint | { readonly str: string } | { readonly bytes: readonly number[] })[];
  /** What tsbpf prints (not compared with the kernel, whose text goes to the trace pipe). */
  readonly text?: string;
  /** The return value: the length of the text, or -EINVAL. */
  readonly ret: number;
}

const CASES: readonly Case[] = [
  { fmt: 'hello', args: [], text: 'hello', ret: 5 },
  { fmt: 'x=%d', args: [42n], text: 'x=42', ret: 4 },
  { fmt: '%d', args: [0xffff_ffffn], text: '-1', ret: 2 },
  { fmt: '%u', args: [0x1_ffff_ffffn], text: '4294967295', ret: 10 },
  { fmt: '%lld', args: [-5n], text: '-5', ret: 2 },
  { fmt: '%llu', args: [0xffff_ffff_ffff_ffffn], text: '18446744073709551615', ret: 20 },
  { fmt: '%x %X', args: [255n, 255n], text: 'ff FF', ret: 5 },
  { fmt: '%lx', args: [0x1234_5678_9abcn], text: '123456789abc', ret: 12 },
  { fmt: '[%5d][%-5d][%05d]', args: [42n, 42n, -42n], text: '[   42][42   ][-0042]', ret: 21 },
  { fmt: '%+d % d', args: [7n, 7n], text: '+7  7', ret: 5 },
  { fmt: '100%%', args: [], text: '100%', ret: 4 },
  { fmt: '%c%c', args: [0x41n, 0x42n], text: 'AB', ret: 2 },
  { fmt: 'name=%s.', args: [{ str: 'tsbpf' }], text: 'name=tsbpf.', ret: 11 },
  { fmt: '%pI4', args: [{ bytes: [10, 0, 0, 1] }], text: '10.0.0.1', ret: 8 },
  { fmt: '%pi4', args: [{ bytes: [10, 0, 0, 1] }], text: '010.000.000.001', ret: 15 },
  { fmt: '%pI6', args: [{ bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }], text: '2001:0db8:0000:0000:0000:0000:0000:0001', ret: 39 },
  { fmt: '%px', args: [0xabcn], text: '0000000000000abc', ret: 16 },
  // Refused formats, all -EINVAL in the kernel.
  { fmt: '%d %d %d %d', args: [1n, 2n, 3n], ret: EINVAL },
  { fmt: '%hd', args: [1n], ret: EINVAL },
  { fmt: '%zu', args: [1n], ret: EINVAL },
  { fmt: '%f', args: [1n], ret: EINVAL },
  { fmt: '%sx', args: [{ str: 'a' }], ret: EINVAL },
  { fmt: '%pZ', args: [1n], ret: EINVAL },
  { fmt: 'tab\there', args: [], text: 'tab\there', ret: 8 },
  { fmt: 'bell\x07', args: [], ret: EINVAL },
  { fmt: '%', args: [1n], ret: EINVAL },
];

function context(lines: string[]): HelperContext {
  return {
    clock: { nowNs: () => 0n },
    cpu: () => 0,
    numaNode: () => 0,
    randomU32: seededRandom(1),
    task: { pid: 1, tgid: 1, uid: 0, gid: 0, comm: 'test' },
    trace: (m) => lines.push(m),
    hz: 250,
  };
}

/** Lay out the format and string arguments in memory; returns the helper arguments. */
function place(memory: AddressSpace, c: Case): { fmt: bigint; size: bigint; args: bigint[] } {
  const fmtBytes = new TextEncoder().encode(`${c.fmt}\0`);
  const region = memory.alloc(fmtBytes.length, { kind: 'scratch', name: 'fmt' });
  region.bytes().set(fmtBytes);
  const args = c.args.map((a) => {
    if (typeof a === 'bigint') return a;
    const bytes = 'str' in a ? new TextEncoder().encode(`${a.str}\0`) : Uint8Array.from(a.bytes);
    const r = memory.alloc(bytes.length, { kind: 'scratch', name: 'arg' });
    r.bytes().set(bytes);
    return r.ptr;
  });
  return { fmt: region.ptr, size: BigInt(fmtBytes.length), args };
}

/** An XDP program that builds the format and string arguments on its stack and calls bpf_trace_printk. */
function kernelProgram(c: Case): string {
  const lines: string[] = [];
  const blobs: number[][] = [[...new TextEncoder().encode(`${c.fmt}\0`)]];
  for (const a of c.args) if (typeof a !== 'bigint') blobs.push('str' in a ? [...new TextEncoder().encode(`${a.str}\0`)] : [...a.bytes]);
  const offsets: number[] = [];
  let top = 0;
  for (const b of blobs) {
    const padded = [...b, ...new Array((8 - (b.length % 8)) % 8).fill(0)];
    top += padded.length;
    offsets.push(top);
    for (let i = 0; i < padded.length; i += 8) {
      let v = 0n;
      for (let j = 7; j >= 0; j--) v = (v << 8n) | BigInt(padded[i + j]!);
      lines.push(`lddw %r0, 0x${v.toString(16)}`, `stxdw [%r10-${top - i}], %r0`);
    }
  }
  let blob = 1;
  c.args.forEach((a, i) => {
    const reg = `%r${3 + i}`;
    if (typeof a === 'bigint') lines.push(`lddw ${reg}, 0x${BigInt.asUintN(64, a).toString(16)}`);
    else lines.push(`mov ${reg}, %r10`, `add ${reg}, -${offsets[blob++]}`);
  });
  lines.push('mov %r1, %r10', `add %r1, -${offsets[0]}`, `mov %r2, ${blobs[0]!.length}`, 'call 6', 'exit');
  return lines.join('\n');
}

describe('printk helpers', () => {
  const memory = new AddressSpace();
  for (const c of CASES) {
    it(`bpf_trace_printk(${JSON.stringify(c.fmt)})`, (t) => {
      const lines: string[] = [];
      const { traceprintk } = traceHelpers(context(lines));
      const p = place(memory, c);
      const env: HelperEnv = { memory, insnIdx: 0, callFunction: () => 0n };
      const [a1 = 0n, a2 = 0n, a3 = 0n] = p.args;
      const ret = BigInt.asIntN(64, traceprintk(env, p.fmt, p.size, a1, a2, a3));
      assert.equal(Number(ret), c.ret);
      if (c.text !== undefined) assert.deepEqual(lines, [c.text]);
      if (c.ret < 0) assert.deepEqual(lines, []);
      const k = kernelAvailable();
      if (!k.ok) return t.diagnostic(`kernel comparison skipped: ${k.reason}`);
      const r = runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns: encodeProgram(assemble(kernelProgram(c))), data: new Uint8Array(64) });
      assert.ok(r.ok, r.ok ? '' : `${r.stage}: ${r.message}\n${r.log ?? ''}`);
      assert.equal(r.retval | 0, c.ret, 'the kernel agrees');
    });
  }

  it('bpf_snprintf writes at most size - 1 characters and a NUL, and returns the full length + 1', () => {
    const { snprintf } = traceHelpers(context([]));
    const env: HelperEnv = { memory, insnIdx: 0, callFunction: () => 0n };
    const fmt = place(memory, { fmt: 'value=%d', args: [], ret: 0 });
    const out = memory.alloc(6, { kind: 'scratch', name: 'out' });
    const data = memory.alloc(8, { kind: 'scratch', name: 'data' });
    data.view().setBigUint64(0, 12345n, true);
    assert.equal(snprintf(env, out.ptr, 6n, fmt.fmt, data.ptr, 8n), 12n);
    assert.equal(new TextDecoder().decode(out.bytes()), 'value\0');
    assert.equal(BigInt.asIntN(64, snprintf(env, out.ptr, 6n, fmt.fmt, data.ptr, 7n)), -22n, 'data_len not a multiple of 8');
    assert.equal(BigInt.asIntN(64, snprintf(env, out.ptr, 6n, fmt.fmt, 0n, 8n)), -22n, 'data_len without data');
    assert.equal(snprintf(env, 0n, 0n, fmt.fmt, data.ptr, 8n), 12n, 'size 0 only measures');
  });

  it('bpf_trace_vprintk takes up to 12 u64 arguments from memory', () => {
    const lines: string[] = [];
    const { tracevprintk } = traceHelpers(context(lines));
    const env: HelperEnv = { memory, insnIdx: 0, callFunction: () => 0n };
    const fmt = place(memory, { fmt: '%d %d %d %d', args: [], ret: 0 });
    const data = memory.alloc(32, { kind: 'scratch', name: 'data' });
    [1n, 2n, 3n, 4n].forEach((v, i) => data.view().setBigUint64(i * 8, v, true));
    assert.equal(tracevprintk(env, fmt.fmt, fmt.size, data.ptr, 32n, 0n), 7n);
    assert.deepEqual(lines, ['1 2 3 4']);
    assert.equal(BigInt.asIntN(64, tracevprintk(env, fmt.fmt, fmt.size, data.ptr, 13n * 8n, 0n)), -22n);
    assert.equal(BigInt.asIntN(64, tracevprintk(env, fmt.fmt, fmt.size, data.ptr, 24n, 0n)), -22n, 'four conversions, three arguments');
  });
});

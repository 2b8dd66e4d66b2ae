// bpf_csum_diff against answers recorded from the 6.18 kernel (XDP program calling the helper on
// packet bytes: from at offset 0, to at offset 400), and live against the kernel where reachable.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../../vm/memory.ts';
import type { HelperEnv } from '../../vm/abi.ts';
import { assemble } from '../../isa/asm.ts';
import { encodeProgram } from '../../isa/encode.ts';
import { BPF_PROG_TYPE_XDP } from '../../uapi/bpf.ts';
import { kernelAvailable, runOnKernel } from '../../../tools/kernel/runner.ts';
import { csumDiff } from './csum.ts';

/** Packet contents: 0 = zeros, 1 = all ones, 2 = (i * 37 + 11) & 0xff. */
const fill = (kind: number): Uint8Array => new Uint8Array(800).map((_, i) => (kind === 0 ? 0 : kind === 1 ? 0xff : (i * 37 + 11) & 0xff));

/** [packet kind, from_size, to_size, seed, the kernel's return value] */
const RECORDED: readonly (readonly [number, number, number, bigint, number])[] = [
  [0, 0, 0, 0x0n, 0],
  [0, 0, 0, 0xffffffffn, 65535],
  [0, 0, 0, 0x12345678n, 26796],
  [0, 0, 4, 0x0n, 0],
  [0, 0, 4, 0xffffffffn, 65535],
  [0, 0, 4, 0x12345678n, 26796],
  [0, 4, 0, 0x0n, 0],
  [0, 4, 0, 0xffffffffn, 65535],
  [0, 4, 0, 0x12345678n, 26796],
  [0, 8, 12, 0x0n, 65535],
  [0, 8, 12, 0xffffffffn, 65535],
  [0, 8, 12, 0x12345678n, 26796],
  [0, 256, 256, 0x0n, 65535],
  [0, 256, 256, 0xffffffffn, 65535],
  [0, 256, 256, 0x12345678n, 26796],
  [0, 400, 400, 0x0n, 65535],
  [0, 400, 400, 0xffffffffn, 65535],
  [0, 400, 400, 0x12345678n, 26796],
  [0, 3, 4, 0x0n, 65535],
  [0, 3, 4, 0xffffffffn, 65535],
  [0, 3, 4, 0x12345678n, 26796],
  [1, 0, 0, 0x0n, 0],
  [1, 0, 0, 0xffffffffn, 65535],
  [1, 0, 0, 0x12345678n, 26796],
  [1, 0, 4, 0x0n, 65535],
  [1, 0, 4, 0xffffffffn, 65535],
  [1, 0, 4, 0x12345678n, 26796],
  [1, 4, 0, 0x0n, 0],
  [1, 4, 0, 0xffffffffn, 0],
  [1, 4, 0, 0x12345678n, 26796],
  [1, 8, 12, 0x0n, 65535],
  [1, 8, 12, 0xffffffffn, 65535],
  [1, 8, 12, 0x12345678n, 26796],
  [1, 256, 256, 0x0n, 65535],
  [1, 256, 256, 0xffffffffn, 65535],
  [1, 256, 256, 0x12345678n, 26796],
  [1, 400, 400, 0x0n, 65535],
  [1, 400, 400, 0xffffffffn, 65535],
  [1, 400, 400, 0x12345678n, 26796],
  [1, 3, 4, 0x0n, 65280],
  [1, 3, 4, 0xffffffffn, 65280],
  [1, 3, 4, 0x12345678n, 26541],
  [2, 0, 0, 0x0n, 0],
  [2, 0, 0, 0xffffffffn, 65535],
  [2, 0, 0, 0x12345678n, 26796],
  [2, 0, 4, 0x0n, 19200],
  [2, 0, 4, 0xffffffffn, 19200],
  [2, 0, 4, 0x12345678n, 45996],
  [2, 4, 0, 0x0n, 21919],
  [2, 4, 0, 0xffffffffn, 21919],
  [2, 4, 0, 0x12345678n, 48715],
  [2, 8, 12, 0x0n, 55952],
  [2, 8, 12, 0xffffffffn, 55952],
  [2, 8, 12, 0x12345678n, 17213],
  [2, 256, 256, 0x0n, 65535],
  [2, 256, 256, 0xffffffffn, 65535],
  [2, 256, 256, 0x12345678n, 26796],
  [2, 400, 400, 0x0n, 32638],
  [2, 400, 400, 0xffffffffn, 32638],
  [2, 400, 400, 0x12345678n, 59434],
  [2, 3, 4, 0x0n, 6816],
  [2, 3, 4, 0xffffffffn, 6816],
  [2, 3, 4, 0x12345678n, 33612],
];

const program = (fromSize: number, toSize: number, seed: bigint): string => `
ldxw %r2, [%r1+4]
ldxw %r1, [%r1+0]
mov %r3, %r1
add %r3, 800
jgt %r3, %r2, bad
mov %r3, %r1
add %r3, 400
mov %r2, ${fromSize}
mov %r4, ${toSize}
lddw %r5, 0x${seed.toString(16)}
call 28
exit
bad:
mov %r0, 7
exit`;

describe('bpf_csum_diff', () => {
  const memory = new AddressSpace();
  const packet = memory.alloc(800, { kind: 'packet', name: 'packet' });
  const env: HelperEnv = { memory, insnIdx: 0, callFunction: () => 0n };
  const run = (kind: number, fromSize: number, toSize: number, seed: bigint): bigint => {
    packet.bytes().set(fill(kind));
    return csumDiff(env, packet.ptr, BigInt(fromSize), packet.ptr + 400n, BigInt(toSize), seed);
  };

  it('matches the answers recorded from the kernel', () => {
    for (const [kind, fromSize, toSize, seed, want] of RECORDED) {
      assert.equal(run(kind, fromSize, toSize, seed), BigInt(want), `kind ${kind}, sizes ${fromSize}/${toSize}, seed ${seed}`);
    }
  });

  it('matches the kernel on random inputs', (t) => {
    const k = kernelAvailable();
    if (!k.ok) return t.skip(`kernel not available: ${k.reason}`);
    let state = 12345;
    const next = (n: number): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) % n);
    for (let i = 0; i < 20; i++) {
      const data = new Uint8Array(800).map(() => next(256));
      const fromSize = next(401);
      const toSize = next(401);
      const seed = BigInt(next(0x7fff_ffff));
      packet.bytes().set(data);
      const mine = csumDiff(env, packet.ptr, BigInt(fromSize), packet.ptr + 400n, BigInt(toSize), seed);
      const r = runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns: encodeProgram(assemble(program(fromSize, toSize, seed))), data });
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.equal(mine, BigInt(r.retval >>> 0), `sizes ${fromSize}/${toSize} seed ${seed}`);
    }
  });
});

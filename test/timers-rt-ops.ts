// Drives testdata/progs/timer_rt.bpf.c's `op` program (struct cmd) and reads its `seen` map, for
// test/timers-runtime.test.ts and test/timers-real.test.ts.
import type { ProgramHandle } from '../src/runtime/program.ts';
import type { MapHandle } from '../src/runtime/map-handle.ts';

export const OP = { init: 1, setCb: 2, start: 3, cancel: 4, arm: 5, update: 6, delete: 7, evict: 8 } as const;
export const WHICH = { arr: 0, hash: 1, lru: 2, arrl: 3, hashl: 4 } as const;
export const CB = { count: 1, periodic: 2, deleteSelf: 3, cancelSelf: 4, cancelOther: 5 } as const;

export interface Cmd {
  readonly op: number;
  readonly which?: number;
  readonly key?: number;
  readonly cb?: number;
  readonly a?: bigint;
  readonly b?: bigint;
}

export function cmdBytes(c: Cmd): Uint8Array {
  const out = new Uint8Array(32);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, c.op, true);
  dv.setUint32(4, c.which ?? 0, true);
  dv.setUint32(8, c.key ?? 0, true);
  dv.setUint32(12, c.cb ?? CB.count, true);
  dv.setBigUint64(16, BigInt.asUintN(64, c.a ?? 0n), true);
  dv.setBigUint64(24, BigInt.asUintN(64, c.b ?? 0n), true);
  return out;
}

export function runOp(prog: ProgramHandle, c: Cmd, cpu?: number): number {
  return prog.run({ ctx: cmdBytes(c), ...(cpu !== undefined ? { cpu } : {}) }).retval;
}

export interface Seen {
  readonly fired: bigint;
  readonly key: bigint;
  readonly cpu: bigint;
  readonly r: bigint;
  readonly now: bigint;
}

export function seenOf(seen: MapHandle, key: number): Seen {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, key, true);
  const v = seen.lookup(k)!;
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const at = (i: number): bigint => dv.getBigUint64(8 * i, true);
  return { fired: at(0), key: at(1), cpu: at(2), r: BigInt.asIntN(64, at(3)), now: at(4) };
}

export function key32(k: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, k, true);
  return b;
}


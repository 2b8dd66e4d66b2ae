import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace } from '../../vm/memory.ts';
import type { HelperEnv, HelperFn } from '../../vm/abi.ts';
import {
  BPF_FUNC_get_current_comm, BPF_FUNC_get_current_pid_tgid, BPF_FUNC_get_current_uid_gid, BPF_FUNC_get_prandom_u32,
  BPF_FUNC_get_smp_processor_id, BPF_FUNC_jiffies64, BPF_FUNC_ktime_get_boot_ns, BPF_FUNC_ktime_get_coarse_ns,
  BPF_FUNC_ktime_get_ns, BPF_FUNC_ktime_get_tai_ns,
} from '../../uapi/helpers.ts';
import { CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_TAI } from '../../uapi/bpf.ts';
import { baseHelpers, seededRandom, type HelperContext } from './index.ts';
import { initialJiffies } from './time.ts';

function setup(nowNs: bigint, seed = 7) {
  const clock = { now: nowNs, nowNs(id: number) { return id === CLOCK_MONOTONIC ? this.now : id === CLOCK_BOOTTIME ? this.now + 1000n : id === CLOCK_TAI ? this.now + 5000n : -1n; } };
  const ctx: HelperContext = {
    clock, cpu: () => 3, numaNode: () => 0, randomU32: seededRandom(seed),
    task: { pid: 101, tgid: 100, uid: 1000, gid: 2000, comm: 'a-very-long-command-name' }, trace: () => {}, hz: 250,
  };
  const memory = new AddressSpace();
  const env: HelperEnv = { memory, insnIdx: 0, callFunction: () => 0n };
  const table = baseHelpers(ctx);
  const call = (id: number, ...args: bigint[]): bigint => {
    const fn: HelperFn | undefined = table.get(id);
    assert.ok(fn, `helper ${id}`);
    const [a = 0n, b = 0n, c = 0n, d = 0n, e = 0n] = args;
    return fn(env, a, b, c, d, e);
  };
  return { clock, memory, call };
}

describe('time helpers', () => {
  it('read the runtime clock for each clock id', () => {
    const { call } = setup(10_000_000_123n);
    assert.equal(call(BPF_FUNC_ktime_get_ns), 10_000_000_123n);
    assert.equal(call(BPF_FUNC_ktime_get_boot_ns), 10_000_001_123n);
    assert.equal(call(BPF_FUNC_ktime_get_tai_ns), 10_000_005_123n);
  });
  it('coarse time and jiffies advance by whole ticks (HZ=250: 4 ms)', () => {
    const { clock, call } = setup(9_999_999n);
    assert.equal(call(BPF_FUNC_ktime_get_coarse_ns), 8_000_000n);
    assert.equal(call(BPF_FUNC_jiffies64), initialJiffies(250) + 2n);
    clock.now = 12_000_000n;
    assert.equal(call(BPF_FUNC_ktime_get_coarse_ns), 12_000_000n);
    assert.equal(call(BPF_FUNC_jiffies64), initialJiffies(250) + 3n);
    assert.equal(initialJiffies(250), 0xfffe_db08n, 'five minutes before the 32-bit wrap');
  });
});

describe('task and CPU helpers', () => {
  it('pack pid/tgid and uid/gid as the kernel does', () => {
    const { call } = setup(0n);
    assert.equal(call(BPF_FUNC_get_current_pid_tgid), (100n << 32n) | 101n);
    assert.equal(call(BPF_FUNC_get_current_uid_gid), (2000n << 32n) | 1000n);
    assert.equal(call(BPF_FUNC_get_smp_processor_id), 3n);
  });
  it('get_current_comm truncates to 15 bytes and pads with NULs', () => {
    const { memory, call } = setup(0n);
    const buf = memory.alloc(20, { kind: 'scratch', name: 'comm' });
    buf.bytes().fill(0xaa);
    assert.equal(call(BPF_FUNC_get_current_comm, buf.ptr, 20n), 0n);
    assert.equal(new TextDecoder().decode(buf.bytes()), 'a-very-long-com\0\0\0\0\0');
    assert.equal(call(BPF_FUNC_get_current_comm, buf.ptr, 4n), 0n);
    assert.equal(new TextDecoder().decode(buf.bytes().subarray(0, 4)), 'a-v\0');
  });
  it('prandom is deterministic for a seed and differs between seeds', () => {
    const a = setup(0n, 1);
    const b = setup(0n, 1);
    const c = setup(0n, 2);
    const seq = (s: ReturnType<typeof setup>) => Array.from({ length: 5 }, () => s.call(BPF_FUNC_get_prandom_u32));
    const sa = seq(a);
    assert.deepEqual(sa, seq(b));
    assert.notDeepEqual(sa, seq(c));
    for (const v of sa) assert.ok(v >= 0n && v < 2n ** 32n);
  });
});

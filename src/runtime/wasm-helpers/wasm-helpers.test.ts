// The Wasm helpers against their reference, the TypeScript maps: the key hash against jhash.ts for
// every key size up to the inline limit; map lookup, update and delete of every covered map type
// on random operation sequences (keys, flags, CPUs), run once through the JIT with the Wasm
// helpers on one map and once through the maps' own BPF-side methods on a twin map, comparing
// every result and the whole table, byte for byte, after every operation; array lookups; and the
// cases that must stay with the JS helpers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../isa/asm.ts';
import type { Insn } from '../../isa/insn.ts';
import { BPF_PSEUDO_MAP_FD } from '../../isa/opcodes.ts';
import { compileProgramSync, type JitProgram } from '../../jit/program.ts';
import { CodeWriter, ModuleBuilder } from '../../jit/wasm/encoder.ts';
import { I32 } from '../../jit/wasm/opcodes.ts';
import { WA } from '../../jit/wasm/host.ts';
import { ArrayMap } from '../../maps/array.ts';
import { HashMap } from '../../maps/hash.ts';
import { LruHashMap } from '../../maps/lru-hash.ts';
import { htabHash } from '../../maps/jhash.ts';
import type { BpfMap } from '../../maps/map.ts';
import {
  BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_PROG_TYPE_XDP,
} from '../../uapi/bpf.ts';
import { BPF_FUNC_ktime_get_ns, BPF_FUNC_map_delete_elem, BPF_FUNC_map_lookup_elem, BPF_FUNC_map_update_elem } from '../../uapi/helpers.ts';
import { CLOCK_MONOTONIC } from '../../uapi/bpf.ts';
import { VirtualClock } from '../../timers/virtual-clock.ts';
import { RealClock } from '../../timers/real-clock.ts';
import { seededRandom } from '../../helpers/impl/context.ts';
import { AddressSpace } from '../../vm/memory.ts';
import { helperTable } from '../helpers.ts';
import { Runtime } from '../runtime.ts';
import { FnBuilder } from './fn-builder.ts';
import { emitKeyHash, MAX_INLINE_KEY_BYTES } from './jhash.ts';
import { wasmHelpers } from './index.ts';

/** A deterministic PRNG for the sequences (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('the key hash in WebAssembly', () => {
  it('equals htabHash for every key size up to the inline limit, word-wise and byte-wise', () => {
    const memory = new AddressSpace();
    const region = memory.alloc(MAX_INLINE_KEY_BYTES, { kind: 'scratch', name: 'key' });
    const mb = new ModuleBuilder();
    mb.importMemory('env', 'memory', 1);
    const sizes = Array.from({ length: MAX_INLINE_KEY_BYTES }, (_, i) => i + 1);
    const seeds = [0, 0x5eedb0f5, 0xffff_ffff];
    for (const size of sizes) {
      for (const seed of seeds) {
        const f = new FnBuilder([I32], [I32]);
        const out = f.i32Local();
        emitKeyHash(f, 0, size, seed, out);
        f.w.get(out);
        const fn = f.finish();
        const idx = mb.addFunc({ params: fn.params, results: fn.results }, fn.locals);
        mb.setBody(idx, fn.body as CodeWriter);
        mb.exportFunc(`h${size}_${seed}`, idx);
      }
    }
    const inst = new WA.Instance(new WA.Module(mb.finish()), { env: { memory: memory.memory } });
    const next = rng(7);
    for (let round = 0; round < 4; round++) {
      const bytes = region.bytes();
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
      for (const size of sizes) {
        for (const seed of seeds) {
          const h = (inst.exports[`h${size}_${seed}`] as (key: number) => number)(region.offset) >>> 0;
          assert.equal(h, htabHash(memory.u8(), region.offset, size, seed), `key size ${size}, seed ${seed}`);
        }
      }
    }
  });
});

interface Config {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
}

const CONFIGS: readonly Config[] = [
  { name: 'hash, 4-byte keys', type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 8 },
  { name: 'hash, 6-byte keys (byte-wise hash), odd value size', type: BPF_MAP_TYPE_HASH, keySize: 6, valueSize: 12, maxEntries: 5 },
  { name: 'hash, 40-byte keys, no prealloc', type: BPF_MAP_TYPE_HASH, keySize: 40, valueSize: 16, maxEntries: 6, flags: BPF_F_NO_PREALLOC },
  { name: 'per-CPU hash, 13-byte keys', type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 13, valueSize: 8, maxEntries: 6 },
  { name: 'LRU hash (common LRU)', type: BPF_MAP_TYPE_LRU_HASH, keySize: 8, valueSize: 8, maxEntries: 6 },
  { name: 'LRU hash, per-CPU lists', type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 20, maxEntries: 8, flags: BPF_F_NO_COMMON_LRU },
  { name: 'LRU per-CPU hash', type: BPF_MAP_TYPE_LRU_PERCPU_HASH, keySize: 16, valueSize: 8, maxEntries: 6 },
];

/** `r1 = map; call id` with r2..r4 from the program's r1..r3. */
function opProgram(id: number): Insn[] {
  const insns = assemble(`
    mov %r6, %r1
    mov %r7, %r2
    mov %r8, %r3
    lddw %r1, 0
    mov %r2, %r6
    mov %r3, %r7
    mov %r4, %r8
    call ${id}
    exit
  `);
  return insns.map((i) => (i.code === 0x18 ? { ...i, src: BPF_PSEUDO_MAP_FD, imm64: 0n } : i));
}

function tableBytes(map: BpfMap): Uint8Array {
  if (map instanceof HashMap) return map.table.bytes().slice();
  throw new Error('not a hash map');
}

describe('hash map helpers in WebAssembly agree with the maps on random sequences', () => {
  for (const cfg of CONFIGS) {
    it(cfg.name, () => {
      const rt = new Runtime({ nCpus: 3 });
      const attrs = { type: cfg.type, keySize: cfg.keySize, valueSize: cfg.valueSize, maxEntries: cfg.maxEntries, flags: cfg.flags ?? 0 };
      const ref = rt.createMap({ ...attrs, name: 'ref' }).map;
      const dut = rt.createMap({ ...attrs, name: 'dut' }).map;
      const table = helperTable(rt, BPF_PROG_TYPE_XDP);
      const inline = wasmHelpers(rt, table);
      const progs = new Map<number, JitProgram>();
      for (const id of [BPF_FUNC_map_lookup_elem, BPF_FUNC_map_update_elem, BPF_FUNC_map_delete_elem]) {
        const p = compileProgramSync(opProgram(id), {
          memory: rt.memory, helpers: (i) => table.get(i), resolveLdImm64: () => dut.ptr,
          inlineHelpers: inline.helpers, entryValues: inline.entryValues,
        });
        assert.equal(p.stats.inlinedCalls, 1, 'the call is implemented in WebAssembly');
        progs.set(id, p);
      }
      const buf = rt.memory.alloc(cfg.keySize + 64, { kind: 'scratch', name: 'buf' });
      const keyPtr = buf.ptr;
      const valuePtr = buf.ptr + BigInt(cfg.keySize);
      const next = rng(cfg.keySize * 1000 + cfg.maxEntries);
      const flagChoices = [0n, 0n, 1n, 2n, 4n, 5n, 3n, 1n << 32n];
      const base = (m: BpfMap): bigint => (m as HashMap).table.ptr;
      for (let step = 0; step < 1500; step++) {
        const cpu = Math.floor(next() * 3);
        const key = buf.bytes().subarray(0, cfg.keySize);
        key.fill(0);
        key[0] = Math.floor(next() * cfg.maxEntries * 2);
        key[cfg.keySize - 1] = key[cfg.keySize - 1]! ^ Math.floor(next() * 2);
        const value = buf.bytes().subarray(cfg.keySize, cfg.keySize + cfg.valueSize);
        for (let i = 0; i < value.length; i++) value[i] = Math.floor(next() * 256);
        const r = next();
        const op = r < 0.35 ? BPF_FUNC_map_lookup_elem : r < 0.8 ? BPF_FUNC_map_update_elem : BPF_FUNC_map_delete_elem;
        const flags = flagChoices[Math.floor(next() * flagChoices.length)]!;
        const state = { cpu, xdp: undefined, redirect: undefined, tailCalls: 0 };
        const [want, got] = rt.withRun(state, () => {
          let w: bigint;
          if (op === BPF_FUNC_map_lookup_elem) {
            const p = ref.lookupElem(keyPtr, cpu);
            w = p === 0n ? 0n : p - base(ref);
          } else if (op === BPF_FUNC_map_update_elem) w = BigInt(ref.updateElem(keyPtr, valuePtr, flags, cpu));
          else w = BigInt(ref.deleteElem(keyPtr, cpu));
          const g0 = progs.get(op)!.run([keyPtr, valuePtr, flags]);
          const g = op === BPF_FUNC_map_lookup_elem ? (g0 === 0n ? 0n : g0 - base(dut)) : BigInt.asIntN(64, g0);
          return [w, g];
        });
        const what = `step ${step}: op ${op} key ${key[0]} flags ${flags} cpu ${cpu}`;
        assert.equal(got, want, what);
        assert.deepEqual(tableBytes(dut), tableBytes(ref), `${what}: tables differ`);
      }
      if (ref instanceof LruHashMap) {
        assert.ok(ref.evictions > 0, 'the sequence made the LRU evict');
        assert.equal((dut as LruHashMap).evictions, ref.evictions);
      }
      for (const p of progs.values()) p.dispose();
    });
  }
});

describe('array lookups in line', () => {
  for (const type of [BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY]) {
    it(type === BPF_MAP_TYPE_ARRAY ? 'array' : 'per-CPU array', () => {
      const rt = new Runtime({ nCpus: 3 });
      const map = rt.createMap({ type, keySize: 4, valueSize: 12, maxEntries: 5, name: 'arr' }).map as ArrayMap;
      const table = helperTable(rt, BPF_PROG_TYPE_XDP);
      const inline = wasmHelpers(rt, table);
      const p = compileProgramSync(opProgram(BPF_FUNC_map_lookup_elem), {
        memory: rt.memory, helpers: (i) => table.get(i), resolveLdImm64: () => map.ptr,
        inlineHelpers: inline.helpers, entryValues: inline.entryValues,
      });
      assert.equal(p.stats.inlinedCalls, 1);
      const key = rt.memory.alloc(4, { kind: 'scratch', name: 'key' });
      for (const cpu of [0, 1, 2]) {
        for (const index of [0, 1, 4, 5, 0xffff_ffff]) {
          key.view().setUint32(0, index, true);
          const state = { cpu, xdp: undefined, redirect: undefined, tailCalls: 0 };
          rt.withRun(state, () => assert.equal(p.run([key.ptr, 0n, 0n]), map.lookupElem(key.ptr, cpu), `cpu ${cpu} index ${index}`));
        }
      }
    });
  }
});

describe('what stays with the JS helpers', () => {
  it('calls whose map is not known when compiling, and maps with special fields', () => {
    const rt = new Runtime();
    const hash = rt.createMap({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, name: 'h' }).map;
    const table = helperTable(rt, BPF_PROG_TYPE_XDP);
    const inline = wasmHelpers(rt, table);
    // R1 is the map on one path and 0 on the other: not a constant.
    const insns = assemble(`
      mov %r2, %r1
      mov %r1, 0
      jeq %r2, 0, +2
      lddw %r1, 0
      call 1
      exit
    `).map((i) => (i.code === 0x18 ? { ...i, src: BPF_PSEUDO_MAP_FD, imm64: 0n } : i));
    const p = compileProgramSync(insns, {
      memory: rt.memory, helpers: (i) => table.get(i), resolveLdImm64: () => hash.ptr,
      inlineHelpers: inline.helpers, entryValues: inline.entryValues,
    });
    assert.equal(p.stats.inlinedCalls, 0);
    assert.equal(inline.helpers({ helperId: BPF_FUNC_map_lookup_elem, insnIdx: 0, r1: 0x1234n }), undefined, 'no map there');
  });
});

describe('time and CPU helpers in WebAssembly', () => {
  it('bpf_ktime_get_ns on the virtual clock and bpf_get_smp_processor_id agree with the JS helpers', () => {
    const clock = new VirtualClock();
    const rt = new Runtime({ nCpus: 4, clock });
    const table = helperTable(rt, BPF_PROG_TYPE_XDP);
    const inline = wasmHelpers(rt, table);
    // r0 = ktime * 8 + cpu, both read twice to see they do not change within a run.
    const insns = assemble(`
      call 5
      mov %r6, %r0
      call 8
      mov %r7, %r0
      call 5
      jne %r0, %r6, +4
      call 8
      jne %r0, %r7, +2
      lsh %r6, 3
      add %r6, %r7
      mov %r0, %r6
      exit
    `);
    const opts = { memory: rt.memory, helpers: (i: number) => table.get(i), resolveLdImm64: () => 0n };
    const jit = compileProgramSync(insns, { ...opts, inlineHelpers: inline.helpers, entryValues: inline.entryValues });
    assert.equal(jit.stats.inlinedCalls, 4);
    const js = compileProgramSync(insns, opts);
    for (const [advance, cpu] of [[0n, 0], [1_000n, 3], [123_456_789n, 1]] as const) {
      clock.advance(advance);
      const state = { cpu, xdp: undefined, redirect: undefined, tailCalls: 0 };
      const [a, b] = rt.withRun(state, () => [jit.run([]), js.run([])]);
      assert.equal(a, b);
      assert.equal(a, clock.nowNs(CLOCK_MONOTONIC) * 8n + BigInt(cpu));
    }
  });

  it('leaves bpf_ktime_get_ns to the JS helper on the real clock', () => {
    const clock = new RealClock({ keepAlive: false });
    const rt = new Runtime({ clock });
    const inline = wasmHelpers(rt, helperTable(rt, BPF_PROG_TYPE_XDP));
    assert.equal(inline.helpers({ helperId: BPF_FUNC_ktime_get_ns, insnIdx: 0, r1: undefined }), undefined);
    clock.close();
  });
});

describe('bpf_get_prandom_u32 in WebAssembly', () => {
  it('draws the seeded sequence from the state JS helpers share, interleaved', () => {
    for (const seed of [1, 42, 0xdead_beef]) {
      const rt = new Runtime({ seed });
      const table = helperTable(rt, BPF_PROG_TYPE_XDP);
      const inline = wasmHelpers(rt, table);
      const insns = assemble('call 7\nexit');
      const jit = compileProgramSync(insns, { memory: rt.memory, helpers: (i) => table.get(i), inlineHelpers: inline.helpers, entryValues: inline.entryValues });
      assert.equal(jit.stats.inlinedCalls, 1);
      const reference = seededRandom(seed);
      const next = rng(seed);
      const state = { cpu: 0, xdp: undefined, redirect: undefined, tailCalls: 0 };
      for (let i = 0; i < 200; i++) {
        const want = BigInt(reference() >>> 0);
        const got = next() < 0.5 ? rt.withRun(state, () => jit.run([])) : table.get(7)!({ memory: rt.memory, insnIdx: 0, callFunction: () => 0n }, 0n, 0n, 0n, 0n, 0n);
        assert.equal(got, want, `seed ${seed}, draw ${i}`);
      }
    }
  });
});

// The benchmark programs compute what they claim, on tsbpf and on the kernel (same instructions,
// BPF_PROG_TEST_RUN), so the benchmark compares equal work.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/isa/asm.ts';
import { encodeProgram } from '../src/isa/encode.ts';
import { AddressSpace } from '../src/vm/memory.ts';
import { Interpreter } from '../src/vm/interpreter.ts';
import { compileProgramSync } from '../src/jit/program.ts';
import { BPF_PROG_TYPE_XDP } from '../src/uapi/bpf.ts';
import { kernelAvailable, runOnKernel } from '../tools/kernel/runner.ts';
import { BENCH_PROGRAMS, KERNEL_PACKET_PROLOGUE, TSBPF_PACKET_PROLOGUE, udpPacket } from '../bench/programs.ts';
import { MAP_BENCHES, MAP_BENCH_ENGINES, mapBenchSetup } from '../bench/map-programs.ts';

describe('benchmark programs', () => {
  const memory = new AddressSpace();
  for (const p of BENCH_PROGRAMS) {
    it(`${p.name} on the interpreter`, () => {
      const data = p.data ?? new Uint8Array(0);
      const region = memory.alloc(Math.max(data.length, 1), { kind: 'packet', name: p.name });
      region.bytes().set(data);
      const vm = new Interpreter(assemble((p.data ? TSBPF_PACKET_PROLOGUE : '') + p.body), { memory });
      assert.equal(vm.run([region.ptr, BigInt(data.length)]), p.expected);
      vm.dispose();
      memory.free(region);
    });
    for (const mode of ['checked', 'unchecked'] as const) {
      it(`${p.name} on the JIT (${mode})`, () => {
        const data = p.data ?? new Uint8Array(0);
        const region = memory.alloc(Math.max(data.length, 1), { kind: 'packet', name: p.name });
        region.bytes().set(data);
        const prog = compileProgramSync(assemble((p.data ? TSBPF_PACKET_PROLOGUE : '') + p.body), { memory, mode });
        assert.equal(prog.run([region.ptr, BigInt(data.length)]), p.expected);
        prog.dispose();
        memory.free(region);
      });
    }
    it(`${p.name} on the kernel`, (t) => {
      const k = kernelAvailable();
      if (!k.ok) return t.skip(`kernel not available: ${k.reason}`);
      const insns = encodeProgram(assemble((p.data ? KERNEL_PACKET_PROLOGUE : '') + p.body));
      const r = runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns, data: p.data ?? new Uint8Array(64) });
      assert.ok(r.ok, r.ok ? '' : `${r.stage}: ${r.message}\n${r.log ?? ''}`);
      assert.equal(BigInt(r.retval), p.expected);
    });
  }
  it('the parser refuses what it cannot parse (XDP_DROP = 1)', () => {
    const pkt = udpPacket(64);
    pkt[12] = 0x86; // not IPv4
    const region = memory.alloc(pkt.length, { kind: 'packet', name: 'bad' });
    region.bytes().set(pkt);
    const insns = assemble(TSBPF_PACKET_PROLOGUE + BENCH_PROGRAMS[1]!.body);
    const vm = new Interpreter(insns, { memory });
    assert.equal(vm.run([region.ptr, BigInt(pkt.length)]), 1n);
    assert.equal(compileProgramSync(insns, { memory }).run([region.ptr, BigInt(pkt.length)]), 1n);
  });
});

describe('map benchmark programs', () => {
  for (const b of MAP_BENCHES) {
    it(`${b.name}: every engine configuration leaves the same map contents`, () => {
      const dumps = MAP_BENCH_ENGINES.map(({ engine, verified }) => {
        const { rt, map, build } = mapBenchSetup(b);
        const e = build(engine, verified);
        const state = { cpu: 0, xdp: undefined, redirect: undefined, tailCalls: 0 };
        assert.equal(rt.withRun(state, () => e.run([])), 0n);
        return map.entries().map(([k, v]) => `${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`).sort();
      });
      assert.ok(dumps[0]!.length > 0);
      for (const d of dumps.slice(1)) assert.deepEqual(d, dumps[0]);
    });
  }
});

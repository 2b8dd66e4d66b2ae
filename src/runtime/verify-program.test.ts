/**
 * The verifier in the load path: how a loaded program is described to the verifier (maps with or
 * without BTF, libbpf's patched instructions, func_info linkage) and what BpfObject.load and
 * BpfObject.verify do with the verdict. The kernel's own verdicts on these objects are checked in
 * test/verifier-objects.test.ts; the refusals here are the ones it gives (bpf-timer.md B48, B51).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CoreRelo } from '../btf/index.ts';
import { assemble, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_MAP_VALUE, BPF_LD_IMM64, type Insn } from '../isa/index.ts';
import { loadCollectionSpec } from '../loader/index.ts';
import type { ProgramSpec, Reference } from '../loader/spec.ts';
import { BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_RINGBUF, BPF_PROG_TYPE_XDP } from '../uapi/bpf.ts';
import { EINVAL, ENOENT } from '../uapi/errno.ts';
import { isBpfError } from '../util/errors.ts';
import { verify, VerifierError } from '../verifier/index.ts';
import { BpfObject } from './object.ts';
import { createMap } from '../maps/create.ts';
import { AddressSpace } from '../vm/memory.ts';
import { buildVerifierProgram, specCreatedWithBtf, verifierMapOf } from './verify-program.ts';

const ROOT = join(import.meta.dirname, '../..');
const bytesOf = (rel: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, rel)));
const PERCPU_TIMER = 'testdata/scenarios/timer_b48_percpu_array.bpf.o';
const TWO_TIMERS = 'testdata/scenarios/timer_b51_two_timers.bpf.o';

function programSpec(insns: Insn[], references: Map<number, Reference>): ProgramSpec {
  return {
    name: 'p', sectionName: 'xdp', type: BPF_PROG_TYPE_XDP, expectedAttachType: 0, sleepable: false, xdpFrags: false,
    insns, references, functions: new Map([[0, 'p']]), funcInfo: [], lineInfo: [], license: 'GPL',
  };
}

describe('specCreatedWithBtf', () => {
  it('is true when the definition names types, except for the map types libbpf creates without BTF', () => {
    assert.equal(specCreatedWithBtf({ type: BPF_MAP_TYPE_ARRAY, keyTypeId: 2, valueTypeId: 3 }), true);
    assert.equal(specCreatedWithBtf({ type: BPF_MAP_TYPE_ARRAY, valueTypeId: 7 }), true, 'global data: DATASEC value only');
    assert.equal(specCreatedWithBtf({ type: BPF_MAP_TYPE_ARRAY }), false, 'key_size/value_size only');
    assert.equal(specCreatedWithBtf({ type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keyTypeId: 2, valueTypeId: 3 }), false);
    assert.equal(specCreatedWithBtf({ type: BPF_MAP_TYPE_RINGBUF, keyTypeId: 2, valueTypeId: 3 }), false);
  });
});

describe('buildVerifierProgram', () => {
  it("loads an unresolved __weak ksym as the constant 0, as libbpf patches it", () => {
    const [ld, exit] = assemble('lddw %r0, 0\nexit');
    const insns = [{ ...ld!, src: BPF_PSEUDO_BTF_ID }, exit!];
    const refs = new Map<number, Reference>([[0, { kind: 'ksym', name: 'bpf_prog_active', weak: true }]]);
    const prog = buildVerifierProgram(programSpec(insns, refs), new Map());
    assert.equal(prog.insns[0]!.src, 0);
    assert.equal(prog.insns[0]!.imm64, 0n);
    assert.ok(verify(prog).processed > 0);
  });

  it('turns an instruction whose CO-RE relocation failed into the poisoned call the kernel refuses', () => {
    const insns = assemble('lddw %r1, 0\nmov %r0, 0\nexit');
    const relo: CoreRelo = { insnOff: 0, insnIdx: 0, typeId: 1, accessStr: '0:1', kind: 0 };
    const refs = new Map<number, Reference>([[0, { kind: 'coreFailure', relo, reason: 'no such field' }]]);
    const prog = buildVerifierProgram(programSpec(insns, refs), new Map());
    assert.deepEqual(prog.insns.map((i) => i.idx), [0, 1, 2, 3], 'both slots of the ld_imm64 are poisoned');
    assert.ok(prog.insns.slice(0, 2).every((i) => i.code !== BPF_LD_IMM64 && i.imm === 0xbad2310));
    assert.throws(() => verify(prog, { logLevel: 1 }), (e: unknown) => {
      assert.ok(e instanceof VerifierError);
      assert.equal(e.errno, EINVAL);
      assert.ok(e.log.includes('invalid func unknown#195896080'), e.log.join('\n'));
      return true;
    });
  });

  it('names a missing map with ENOENT', () => {
    const insns = assemble('lddw %r1, 0\nmov %r0, 0\nexit');
    const refs = new Map<number, Reference>([[0, { kind: 'map', map: 'gone' }]]);
    assert.throws(() => buildVerifierProgram(programSpec(insns, refs), new Map()), (e: unknown) => isBpfError(e, ENOENT));
  });

  it("gives func_info the linkage of each function's BTF FUNC", () => {
    const spec = loadCollectionSpec(bytesOf('testdata/progs/loader_progs.bpf.o'));
    const p = spec.programs.get('xdp_loop')!;
    const built = buildVerifierProgram(p, new Map([['.bss', { name: '.bss', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0, hasBtf: true }]]), spec.btf);
    assert.deepEqual(built.funcInfo?.map((f) => f.linkage), ['global', 'static', 'static'], 'xdp_loop, then its callback and subprogram');
  });
});

describe('BpfObject.load verifies', () => {
  it('refuses a timer in a per-CPU map: libbpf retried creation without BTF, so the map has none (B48)', async () => {
    const obj = BpfObject.open(bytesOf(PERCPU_TIMER), { name: 'timer_b48_percpu_array' });
    await assert.rejects(obj.load(), (e: unknown) => {
      assert.ok(e instanceof VerifierError, String(e));
      assert.deepEqual([e.prog, e.errno, e.code], ['use', EINVAL, 'EINVAL']);
      assert.ok(e.log.includes("map 'm' has to have BTF in order to use bpf_timer"), e.log.join('\n'));
      assert.match(e.message, /^prog use: invalid argument: map 'm' has to have BTF in order to use bpf_timer/);
      return true;
    });
    assert.throws(() => obj.map('m'), /not loaded/, 'nothing stays created');
  });

  it('refuses a value with two timers: the map has no valid bpf_timer (B51)', async () => {
    const obj = BpfObject.open(bytesOf(TWO_TIMERS), { name: 'timer_b51_two_timers' });
    await assert.rejects(obj.load(), (e: unknown) => e instanceof VerifierError && e.log.includes("map 'm' has no valid bpf_timer"));
  });

  it('loads unverified code with verify: false', async () => {
    const obj = BpfObject.open(bytesOf(PERCPU_TIMER), { name: 'timer_b48_percpu_array' });
    await obj.load({ verify: false });
    assert.equal(obj.verification('use'), undefined);
    obj.close();
  });

  it('keeps what the verifier said, with the log at the requested level', async () => {
    const obj = BpfObject.open(bytesOf('examples/sampler.bpf.o'), { name: 'sampler' });
    await obj.load({ logLevel: 1 });
    const v = obj.verification('sampler_start')!;
    assert.ok(v.processed > 0 && v.subprogs.length >= 1);
    assert.match(v.log.at(-1) ?? '', new RegExp(`^processed ${v.processed} insns \\(limit 1000000\\)`));
    assert.throws(() => obj.verification('nope'), (e: unknown) => isBpfError(e, ENOENT));
    obj.close();
  });
});

describe('BpfObject.verify', () => {
  it('verifies every program without loading, reports each refusal, and leaves the object open', async () => {
    const obj = BpfObject.open(bytesOf(PERCPU_TIMER), { name: 'timer_b48_percpu_array' });
    const [v] = obj.verify();
    assert.equal(v?.name, 'use');
    assert.ok(v?.error instanceof VerifierError);
    await obj.load({ verify: false });
    assert.throws(() => obj.verify(), (e: unknown) => isBpfError(e, EINVAL), 'only before load');
    obj.close();
  });

  it('verifies only the programs asked for, and refuses unknown names with ENOENT', () => {
    const obj = BpfObject.open(bytesOf('examples/sampler.bpf.o'), { name: 'sampler' });
    assert.deepEqual(obj.verify({ programs: ['sampler_stop'] }).map((v) => [v.name, v.error]), [['sampler_stop', undefined]]);
    assert.throws(() => obj.verify({ programs: ['nope'] }), (e: unknown) => isBpfError(e, ENOENT));
  });
});

describe('verifierMapOf', () => {
  const rodata = (maxEntries: number, flags = BPF_F_RDONLY_PROG) =>
    createMap(new AddressSpace(), { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries, flags, name: 'p.rodata' });

  it('hands the verifier the value of a frozen read-only array once it is frozen, as the kernel reads .rodata', () => {
    const map = rodata(1);
    const vm = verifierMapOf(map, true);
    assert.equal(map.update(new Uint8Array(4), Uint8Array.of(7, 0, 0, 0, 9, 0, 0, 0)), 0);
    assert.equal(map.freeze(), 0);
    assert.deepEqual(vm.frozenValue, Uint8Array.of(7, 0, 0, 0, 9, 0, 0, 0));
    // A load from it is a constant: the branch on it is decided and its other side never checked.
    const [ld, ...rest] = assemble('lddw %r1, 0\nldxw %r0, [%r1+4]\njeq %r0, 9, +1\nldxdw %r0, [%r0+0]\nmov %r0, 0\nexit');
    const insns = [{ ...ld!, src: BPF_PSEUDO_MAP_VALUE }, ...rest];
    const prog = buildVerifierProgram(programSpec(insns, new Map<number, Reference>([[0, { kind: 'mapValue', map: 'ro', offset: 0 }]])), new Map([['ro', vm]]));
    assert.deepEqual(verify(prog).deadSlots, [4]);
  });

  it('hands no value before the freeze, without BPF_F_RDONLY_PROG, or for more than one entry', () => {
    const unfrozen = rodata(1);
    assert.equal(verifierMapOf(unfrozen, true).frozenValue, undefined);
    for (const map of [rodata(1, 0), rodata(2)]) {
      assert.equal(map.freeze(), 0);
      assert.equal(verifierMapOf(map, true).frozenValue, undefined);
    }
  });
});

describe('buildVerifierProgram with a CPU count', () => {
  it('bounds bpf_get_smp_processor_id() below the CPU count, as nr_cpu_ids does', () => {
    // With 2 CPUs `if (cpu > 1)` is never taken: its bad load is dead code.
    const insns = assemble('call 8\njgt %r0, 1, +2\nmov %r0, 0\nexit\nldxdw %r0, [%r0+0]\nexit');
    assert.deepEqual(verify(buildVerifierProgram(programSpec(insns, new Map()), new Map(), undefined, 2)).deadSlots, [4, 5]);
    assert.throws(() => verify(buildVerifierProgram(programSpec(insns, new Map()), new Map(), undefined, 4)), (e: unknown) => e instanceof VerifierError);
    assert.throws(() => verify(buildVerifierProgram(programSpec(insns, new Map()), new Map())), (e: unknown) => e instanceof VerifierError);
  });
});

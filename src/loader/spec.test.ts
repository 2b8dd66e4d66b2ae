/**
 * The spec of each committed loader_*.bpf.o against what llvm-objdump-19 and bpftool say about the
 * same object (their outputs are recorded in fixtures/), plus the linking, references, global
 * data and kconfig layout the sources make certain.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseElf } from '../elf/index.ts';
import { BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE } from '../isa/index.ts';
import * as B from '../uapi/bpf.ts';
import { kernelMapName, loadCollectionSpec, objectNameOf } from './index.ts';
import { bpftoolMaps, fixture, mainSlots, object, objdumpFunctions, slotCount } from './test-helpers.ts';

const OBJECTS = ['loader_progs', 'loader_maps', 'loader_legacy', 'loader_tracing', 'loader_map_extra'];

for (const name of OBJECTS) {
  test(`${name}: programs, sections and instruction counts match llvm-objdump`, () => {
    const spec = loadCollectionSpec(object(`${name}.bpf.o`));
    const dumped = objdumpFunctions(fixture(`${name}.objdump.txt`));
    const progs = dumped.filter((f) => f.section !== '.text');
    assert.deepEqual([...spec.programs.keys()].sort(), progs.map((f) => f.name).sort());
    for (const f of progs) {
      const p = spec.programs.get(f.name)!;
      assert.equal(p.sectionName, f.section, f.name);
      assert.equal(mainSlots(p.functions, slotCount(p.insns)), f.slots, `${f.name}: main function size`);
      // Every appended subprogram is a .text function of the size objdump shows.
      for (const [start, fn] of p.functions) {
        if (start === 0) continue;
        assert.ok(dumped.some((d) => d.name === fn && d.section === '.text'), `${f.name}: ${fn} is a .text function`);
      }
      const sizes = [...p.functions.entries()].map(([start, fn]) => ({ fn, start })).sort((a, b) => a.start - b.start);
      sizes.forEach((s, i) => {
        const end = sizes[i + 1]?.start ?? slotCount(p.insns);
        const d = dumped.find((x) => x.name === s.fn)!;
        assert.equal(end - s.start, d.slots, `${f.name}: copy of ${s.fn}`);
      });
    }
  });

  test(`${name}: BTF map definitions match bpftool btf dump`, () => {
    const spec = loadCollectionSpec(object(`${name}.bpf.o`));
    const dumped = bpftoolMaps(fixture(`${name}.bpftool.txt`));
    const btfMaps = [...spec.maps.values()].filter((m) => m.kind === 'btf');
    assert.deepEqual(btfMaps.map((m) => m.name), dumped.map((d) => d.name), 'maps in DATASEC order');
    for (const d of dumped) {
      const m = spec.maps.get(d.name)!;
      assert.equal(m.type, d.fields.get('type'), `${d.name}.type`);
      assert.equal(m.maxEntries, d.fields.get('max_entries'), `${d.name}.max_entries`);
      assert.equal(m.flags, d.fields.get('map_flags') ?? 0, `${d.name}.map_flags`);
      assert.equal(m.numaNode, d.fields.get('numa_node') ?? 0, `${d.name}.numa_node`);
      assert.equal(m.pinning, d.fields.get('pinning') ?? 0, `${d.name}.pinning`);
      assert.equal(m.mapExtra, BigInt(d.fields.get('map_extra') ?? 0), `${d.name}.map_extra`);
      if (d.fields.has('key_size')) assert.equal(m.keySize, d.fields.get('key_size'), `${d.name}.key_size`);
      if (d.fields.has('value_size')) assert.equal(m.valueSize, d.fields.get('value_size'), `${d.name}.value_size`);
      assert.equal(m.keyTypeId, d.keyTypeId, `${d.name}.key type`);
      assert.equal(m.valueTypeId, d.valueTypeId, `${d.name}.value type`);
    }
  });
}

test('loader_progs: subprograms are appended depth first, once per program, with calls re-aimed', () => {
  const spec = loadCollectionSpec(object('loader_progs.bpf.o'));
  const fns = (p: string) => [...spec.programs.get(p)!.functions.values()];
  assert.deepEqual(fns('xdp_pass'), ['xdp_pass', 'square_plus', 'square']);
  assert.deepEqual(fns('xdp_loop'), ['xdp_loop', 'sum_cb', 'square']);
  assert.deepEqual(fns('tc_count'), ['tc_count', 'visit_cb', 'square_plus', 'square']);
  assert.deepEqual(fns('arm_timer'), ['arm_timer', 'timer_cb']);
  assert.deepEqual(fns('sock_filter'), ['sock_filter']);
  for (const p of spec.programs.values()) {
    for (const [pos, ref] of p.references) {
      if (ref.kind !== 'func') continue;
      const insn = p.insns[pos]!;
      // The call's (or the callback address's) imm lands on the callee's first slot.
      assert.equal(insn.idx + insn.imm + 1, ref.targetIdx, `${p.name}: insn ${insn.idx}`);
      assert.equal(p.functions.get(ref.targetIdx), ref.name);
      if (ref.callback) assert.equal(insn.src, BPF_PSEUDO_FUNC);
    }
  }
  const cbs = [...spec.programs.get('arm_timer')!.references.values()].filter((r) => r.kind === 'func');
  assert.deepEqual(cbs.map((r) => r.kind === 'func' && [r.name, r.callback]), [['timer_cb', true]]);
});

test('loader_progs: section table gives types, attach types, targets and sleepable flags', () => {
  const spec = loadCollectionSpec(object('loader_progs.bpf.o'));
  const p = (n: string) => spec.programs.get(n)!;
  assert.equal(p('xdp_pass').type, B.BPF_PROG_TYPE_XDP);
  assert.equal(p('xdp_pass').expectedAttachType, B.BPF_XDP);
  assert.equal(p('tc_count').type, B.BPF_PROG_TYPE_SCHED_CLS);
  assert.equal(p('arm_timer').type, B.BPF_PROG_TYPE_SYSCALL);
  assert.equal(p('arm_timer').sleepable, true);
  assert.equal(p('kp_sleep').attachTo, 'do_nanosleep');
  assert.equal(p('tp_getpid').attachTo, 'syscalls/sys_enter_getpid');
  assert.equal(p('cg_ingress').type, B.BPF_PROG_TYPE_CGROUP_SKB);
  assert.equal(p('cg_ingress').expectedAttachType, B.BPF_CGROUP_INET_INGRESS);
  assert.equal(spec.license, 'GPL');
  assert.equal(p('xdp_pass').license, 'GPL');
});

test('loader_progs: the timer value has its bpf_timer at offset 0, and line info follows the linked code', () => {
  const spec = loadCollectionSpec(object('loader_progs.bpf.o'));
  const timers = spec.maps.get('timers')!;
  assert.equal(timers.record.timerOff, 0);
  assert.equal(timers.valueSize, 24);
  const xdp = spec.programs.get('xdp_loop')!;
  const sq = [...xdp.functions].find(([, n]) => n === 'square')![0];
  assert.ok(xdp.lineInfo.some((l) => l.insnIdx === sq && l.line.includes('square(__u64 x)')));
  assert.ok(xdp.funcInfo.some((f) => f.insnIdx === sq));
  assert.equal(xdp.funcInfo.length, 3);
});

test('loader_maps: global data maps hold the section bytes, with libbpf flags and variables', () => {
  const spec = loadCollectionSpec(object('loader_maps.bpf.o'));
  const data = spec.maps.get('.data')!;
  assert.equal(data.kind, 'data');
  assert.deepEqual([...data.contents!], [7, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(data.flags, B.BPF_F_MMAPABLE);
  const ro = spec.maps.get('.rodata')!;
  assert.deepEqual([...ro.contents!], [42, 0, 0, 0]);
  assert.equal(ro.flags, B.BPF_F_RDONLY_PROG | B.BPF_F_MMAPABLE);
  assert.deepEqual([...spec.maps.get('.data.custom')!.contents!], [5, 0, 0, 0]);
  assert.deepEqual([...spec.maps.get('.rodata.tables')!.contents!], [9, 0, 0, 0, 0, 0, 0, 0]);
  const bss = spec.maps.get('.bss')!;
  assert.equal(bss.valueSize, 12);
  assert.ok(bss.contents!.every((b) => b === 0));
  assert.deepEqual(spec.variables.get('zeroed'), { name: 'zeroed', map: '.bss', offset: 0, size: 8, typeId: spec.variables.get('zeroed')!.typeId, linkage: 'global' });
  assert.equal(spec.variables.get('hidden_total')!.offset, 8);
  assert.equal(spec.variables.get('hidden_total')!.linkage, 'static');
  const entry = spec.programs.get('entry')!;
  const values = [...entry.references].filter(([, r]) => r.kind === 'mapValue');
  for (const [pos, r] of values) {
    assert.equal(entry.insns[pos]!.src, BPF_PSEUDO_MAP_VALUE);
    assert.equal(r.kind === 'mapValue' && entry.insns[pos]!.imm2, r.kind === 'mapValue' && r.offset);
  }
  assert.ok(values.some(([, r]) => r.kind === 'mapValue' && r.map === '.bss' && r.offset === 8), 'hidden_total at .bss+8');
  const maps = [...entry.references].filter(([, r]) => r.kind === 'map');
  assert.deepEqual(new Set(maps.map(([, r]) => r.kind === 'map' && r.map)), new Set(['by_type', 'by_size', 'outer_arr', 'outer_hash', 'pinned_lru', 'jumps']));
  for (const [pos] of maps) assert.equal(entry.insns[pos]!.src, BPF_PSEUDO_MAP_FD);
});

test('loader_maps: map-in-map templates, initial slots and prog array slots', () => {
  const spec = loadCollectionSpec(object('loader_maps.bpf.o'));
  const arr = spec.maps.get('outer_arr')!;
  assert.equal(arr.valueSize, 4);
  assert.equal(arr.innerMap?.name, 'outer_arr.inner');
  assert.equal(arr.innerMap?.type, B.BPF_MAP_TYPE_ARRAY);
  assert.equal(arr.innerMap?.maxEntries, 1);
  assert.deepEqual(arr.initialSlots, ['inner_a', undefined, 'inner_b']);
  const hash = spec.maps.get('outer_hash')!;
  assert.equal(hash.innerMap?.valueSize, 4);
  assert.deepEqual(hash.initialSlots, [undefined, 'inner_b']);
  const jumps = spec.maps.get('jumps')!;
  assert.equal(jumps.innerMap, undefined);
  assert.deepEqual(jumps.initialSlots, ['tail_a', undefined, 'tail_b']);
});

test('loader_maps: kconfig externs are laid out as libbpf lays them out', () => {
  const spec = loadCollectionSpec(object('loader_maps.bpf.o'));
  const k = spec.maps.get('.kconfig')!;
  assert.equal(k.kind, 'kconfig');
  assert.equal(k.valueSize, 6);
  const slot = (n: string) => spec.externs.get(n)!.kconfig!;
  assert.deepEqual(slot('LINUX_KERNEL_VERSION'), { offset: 0, size: 4, align: 4, type: 'int', signed: true });
  assert.deepEqual(slot('CONFIG_BPF_SYSCALL'), { offset: 4, size: 1, align: 1, type: 'bool', signed: false });
  assert.deepEqual(slot('CONFIG_NOT_A_REAL_OPTION'), { offset: 5, size: 1, align: 1, type: 'char', signed: true });
  assert.equal(spec.externs.get('CONFIG_BPF_SYSCALL')!.weak, true);
  assert.equal(spec.externs.get('LINUX_KERNEL_VERSION')!.weak, false);
  const refs = [...spec.programs.get('entry')!.references.values()].filter((r) => r.kind === 'kconfig');
  assert.deepEqual(refs.map((r) => r.kind === 'kconfig' && [r.name, r.offset]).sort(), [['CONFIG_BPF_SYSCALL', 4], ['CONFIG_NOT_A_REAL_OPTION', 5], ['LINUX_KERNEL_VERSION', 0]]);
});

test('loader_maps: the spec is editable before load', () => {
  const spec = loadCollectionSpec(object('loader_maps.bpf.o'));
  spec.maps.get('by_type')!.maxEntries = 1024;
  spec.maps.get('.rodata')!.contents![0] = 99;
  spec.programs.get('entry')!.type = B.BPF_PROG_TYPE_SCHED_ACT;
  assert.equal(spec.maps.get('by_type')!.maxEntries, 1024);
  // A fresh open is unaffected: nothing is shared with the file's bytes.
  const again = loadCollectionSpec(object('loader_maps.bpf.o'));
  assert.equal(again.maps.get('.rodata')!.contents![0], 42);
});

test('loader_legacy: SEC("maps") definitions are read as struct bpf_map_def', () => {
  const spec = loadCollectionSpec(object('loader_legacy.bpf.o'));
  const h = spec.maps.get('legacy_hash')!;
  assert.deepEqual([h.kind, h.type, h.keySize, h.valueSize, h.maxEntries, h.flags], ['legacy', B.BPF_MAP_TYPE_HASH, 4, 8, 10, B.BPF_F_NO_PREALLOC]);
  const a = spec.maps.get('legacy_array')!;
  assert.deepEqual([a.type, a.keySize, a.valueSize, a.maxEntries, a.flags], [B.BPF_MAP_TYPE_ARRAY, 4, 4, 2, 0]);
  const refs = [...spec.programs.get('legacy_user')!.references.values()];
  assert.deepEqual(refs.map((r) => r.kind === 'map' && r.map).sort(), ['legacy_array', 'legacy_hash']);
});

test('loader_tracing: BTF-attached programs, sleepable variants and CO-RE against local BTF', () => {
  const spec = loadCollectionSpec(object('loader_tracing.bpf.o'));
  const p = (n: string) => spec.programs.get(n)!;
  assert.deepEqual([p('fentry_sleep').type, p('fentry_sleep').expectedAttachType, p('fentry_sleep').attachTo], [B.BPF_PROG_TYPE_TRACING, B.BPF_TRACE_FENTRY, 'do_nanosleep']);
  assert.equal(p('fentry_sleepable').sleepable, true);
  assert.equal(p('fentry_sleep').sleepable, false);
  assert.equal(p('modret').expectedAttachType, B.BPF_MODIFY_RETURN);
  assert.equal(p('btf_tp').expectedAttachType, B.BPF_TRACE_RAW_TP);
  assert.deepEqual([p('lsm_open').type, p('lsm_open').sleepable, p('lsm_open').attachTo], [B.BPF_PROG_TYPE_LSM, true, 'file_open']);
  assert.deepEqual([p('usleep').type, p('usleep').sleepable], [B.BPF_PROG_TYPE_KPROBE, true]);
  const raw = p('raw_enter');
  assert.equal([...raw.references.values()].filter((r) => r.kind === 'coreFailure').length, 0);
  // llvm-objdump -dr: CO-RE byte_off of tgid at insn 1 (4), byte_sz of comm at insn 7 (16),
  // type_exists at insn 10 (1). Scramble those immediates in a copy: applying CO-RE restores them.
  const bytes = object('loader_tracing.bpf.o');
  const sec = parseElf(bytes).sectionByName('raw_tp/sys_enter')!;
  for (const slot of [1, 7, 10]) bytes[sec.offset + slot * 8 + 4] = 0x77;
  const fixed = loadCollectionSpec(bytes).programs.get('raw_enter')!;
  assert.deepEqual([1, 7, 10].map((i) => fixed.insns.find((x) => x.idx === i)!.imm), [4, 16, 1]);
  assert.deepEqual([1, 7, 10].map((i) => raw.insns.find((x) => x.idx === i)!.imm), [4, 16, 1]);
});

test('kernelMapName follows libbpf internal_map_name()', () => {
  assert.equal(objectNameOf('testdata/progs/loader_maps.bpf.o'), 'loader_maps');
  assert.equal(kernelMapName('loader_maps', '.bss'), 'loader_m.bss');
  assert.equal(kernelMapName('loader_maps', '.rodata'), 'loader_m.rodata');
  assert.equal(kernelMapName('loader_maps', '.kconfig'), 'loader_.kconfig');
  assert.equal(kernelMapName('loader_maps', '.data.custom'), '.data.custom');
  assert.equal(kernelMapName('loader_maps', '.rodata.a_very_long_name'), '.rodata.a_very_');
  assert.equal(kernelMapName('my-obj', '.data'), 'my_obj.data');
});

test('loader_tracing: kfunc calls and typed ksyms become references with libbpf pseudo sources', () => {
  const spec = loadCollectionSpec(object('loader_tracing.bpf.o'));
  assert.deepEqual(spec.externs.get('bpf_rcu_read_lock'), { name: 'bpf_rcu_read_lock', kind: 'kfunc', weak: false, typeId: spec.externs.get('bpf_rcu_read_lock')!.typeId });
  assert.equal(spec.externs.get('bpf_rcu_read_unlock')!.weak, true);
  assert.equal(spec.externs.get('bpf_prog_active')!.kind, 'ksym');
  const p = spec.programs.get('kfuncs')!;
  const refs = [...p.references].map(([pos, r]) => [p.insns[pos]!.src, r.kind, 'name' in r ? r.name : '']);
  assert.deepEqual(refs, [
    [BPF_PSEUDO_KFUNC_CALL, 'kfunc', 'bpf_rcu_read_lock'],
    [BPF_PSEUDO_KFUNC_CALL, 'kfunc', 'bpf_rcu_read_unlock'],
    [BPF_PSEUDO_BTF_ID, 'ksym', 'bpf_prog_active'],
  ]);
});

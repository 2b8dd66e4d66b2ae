/**
 * The real ground truth: each loader_*.bpf.o opened and loaded by the system's libbpf (Debian's
 * 1.1) into the running kernel through tools/libbpf/objinfo.c, compared with tsbpf's spec.
 * Programs: type, expected attach type, linked instruction count (bpf_program__insn_cnt after
 * load). Maps: type, key/value size, max entries, flags, map_extra as the kernel reports them.
 * Skips visibly where libbpf-dev, cc or bpf() are not available.
 *
 * Documented differences:
 * - global data and .kconfig maps: the spec names them after their section (`.bss`); libbpf and
 *   the kernel use internal_map_name() (`loader_m.bss`), except for custom `.data.*`/`.rodata.*`
 *   sections, which keep their section name (kernelMapName() computes this);
 * - loader_legacy: libbpf 1.x refuses SEC("maps") at open with EOPNOTSUPP; tsbpf reads it as
 *   cilium/ebpf and aya do;
 * - loader_tracing: fentry/fexit/lsm/tp_btf need their attach target from the kernel's BTF and
 *   this kernel refuses the load (EPERM here), so only libbpf's open view is compared.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { kernelAvailable, runObjinfo, type LibbpfMap, type ObjInfo } from '../../tools/libbpf/objinfo.ts';
import { EOPNOTSUPP } from '../uapi/errno.ts';
import { kernelMapName, loadCollectionSpec, type CollectionSpec, type MapSpec } from './index.ts';
import { object, PROGS, slotCount } from './test-helpers.ts';

const probe = kernelAvailable(join(PROGS, 'loader_probe.bpf.o'));

function report(name: string, mode: 'open' | 'load'): Extract<ObjInfo, { programs: unknown }> {
  const info = runObjinfo(join(PROGS, `${name}.bpf.o`), mode);
  assert.ok(typeof info !== 'string', String(info));
  assert.equal(info.errno, undefined, `libbpf ${mode} of ${name} failed: ${'error' in info ? info.error : ''}`);
  return info as Extract<ObjInfo, { programs: unknown }>;
}

/** The libbpf map a spec map corresponds to: same name, or the internal name for global data. */
function libbpfMapFor(spec: MapSpec, objName: string, maps: readonly LibbpfMap[]): LibbpfMap | undefined {
  const want = spec.kind === 'data' || spec.kind === 'kconfig' ? kernelMapName(objName, spec.name) : spec.name;
  return maps.find((m) => m.name === want);
}

function comparePrograms(spec: CollectionSpec, info: Extract<ObjInfo, { programs: unknown }>, counts: boolean): void {
  assert.deepEqual([...spec.programs.keys()], info.programs.map((p) => p.name), 'programs in libbpf order');
  for (const lp of info.programs) {
    const p = spec.programs.get(lp.name)!;
    assert.equal(p.sectionName, lp.section, `${lp.name}: section`);
    assert.equal(p.type, lp.type, `${lp.name}: type`);
    assert.equal(p.expectedAttachType, lp.expectedAttachType, `${lp.name}: expected attach type`);
    if (counts) assert.equal(slotCount(p.insns), lp.insnCnt, `${lp.name}: linked instruction count`);
  }
}

function compareMaps(spec: CollectionSpec, objName: string, info: Extract<ObjInfo, { programs: unknown }>, loaded: boolean): void {
  assert.equal(spec.maps.size, info.maps.length, 'number of maps');
  const order: string[] = [];
  for (const m of spec.maps.values()) {
    const lm = libbpfMapFor(m, objName, info.maps);
    assert.ok(lm, `libbpf has no map for '${m.name}' (has ${info.maps.map((x) => x.name).join(', ')})`);
    order.push(lm.name);
    if (loaded) assert.equal(lm.kernelName, m.kind === 'data' || m.kind === 'kconfig' ? kernelMapName(objName, m.name) : m.name.slice(0, 15), `${m.name}: kernel name`);
    assert.equal(m.type, lm.type, `${m.name}: type`);
    assert.equal(m.keySize, lm.keySize, `${m.name}: key size`);
    assert.equal(m.valueSize, lm.valueSize, `${m.name}: value size`);
    assert.equal(m.maxEntries, lm.maxEntries, `${m.name}: max entries`);
    assert.equal(m.flags, lm.flags, `${m.name}: flags`);
    assert.equal(m.pinning, lm.pinning, `${m.name}: pinning`);
    assert.equal(m.numaNode, lm.numaNode, `${m.name}: numa node`);
    assert.equal(m.mapExtra, BigInt(lm.mapExtra), `${m.name}: map_extra`);
  }
  assert.deepEqual(order, info.maps.map((m) => m.name), 'maps in libbpf order');
}

for (const name of ['loader_progs', 'loader_maps', 'loader_probe', 'loader_map_extra']) {
  test(`${name}: matches what libbpf loads into the kernel`, (t) => {
    if (probe !== true) { t.skip(`libbpf/kernel not available: ${probe}`); return; }
    const info = report(name, 'load');
    const spec = loadCollectionSpec(object(`${name}.bpf.o`));
    comparePrograms(spec, info, true);
    compareMaps(spec, name, info, true);
  });
}

test('loader_tracing: matches libbpf at open (the kernel refuses the load here)', (t) => {
  const info = runObjinfo(join(PROGS, 'loader_tracing.bpf.o'), 'open');
  if (typeof info === 'string') { t.skip(`libbpf not available: ${info}`); return; }
  assert.equal(info.errno, undefined);
  const spec = loadCollectionSpec(object('loader_tracing.bpf.o'));
  const opened = info as Extract<ObjInfo, { programs: unknown }>;
  comparePrograms(spec, opened, false);
  // At open, bpf_program__insn_cnt is the function's own size: no subprograms here, so equal.
  for (const lp of opened.programs) assert.equal(slotCount(spec.programs.get(lp.name)!.insns), lp.insnCnt, lp.name);
  compareMaps(spec, 'loader_tracing', opened, false);
  if (probe === true) {
    const loaded = runObjinfo(join(PROGS, 'loader_tracing.bpf.o'), 'load');
    assert.ok(typeof loaded !== 'string' && loaded.errno !== undefined, 'the kernel is expected to refuse the tracing programs here');
  }
});

test('loader_legacy: libbpf 1.x refuses SEC("maps"), tsbpf reads it', (t) => {
  const info = runObjinfo(join(PROGS, 'loader_legacy.bpf.o'), 'open');
  if (typeof info === 'string') { t.skip(`libbpf not available: ${info}`); return; }
  assert.equal(info.stage, 'open');
  assert.equal(info.errno, EOPNOTSUPP);
  assert.match('error' in info ? info.error : '', /legacy map definitions in 'maps' section are not supported/);
  assert.equal(loadCollectionSpec(object('loader_legacy.bpf.o')).maps.size, 2);
});

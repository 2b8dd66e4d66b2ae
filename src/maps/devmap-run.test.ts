// Devmaps in a runtime: the `netdevs` option, what bpf_redirect_map records in a test run (the
// verdict and the packet are compared with the kernel by the maps_devmap_* scenarios), and the
// verifier's refusal of program stores into a devmap value (the kernel's message, checked on 6.18:
// "write into map forbidden, value_size=4 off=0 size=4", EACCES).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assemble } from '../isa/asm.ts';
import { BpfObject } from '../runtime/object.ts';
import { Runtime } from '../runtime/runtime.ts';
import { ENGINE_NAMES, type EngineName } from '../runtime/engine.ts';
import { BPF_F_RDONLY_PROG, XDP_REDIRECT } from '../uapi/bpf.ts';
import { EACCES, EINVAL } from '../uapi/errno.ts';
import { isBpfError } from '../util/errors.ts';
import { u32 } from './test-helpers.ts';

const OBJ = (): Uint8Array => readFileSync(new URL('../../testdata/scenarios/maps_devmap.bpf.o', import.meta.url));
const PKT = Uint8Array.from(Buffer.from('ffffffffffff00000000000188b5aabbccdd', 'hex'));

/** maps_devmap with program `name` replaced by `text`, whose `lddw %r1, 0` at `mapSlot` loads map `map`. */
function withAsm(name: string, text: string, mapSlot: number, map: string): BpfObject {
  const obj = BpfObject.open(OBJ(), { name: 'maps_devmap' });
  const p = obj.spec.programs.get(name)!;
  // ld_imm64 with src BPF_PSEUDO_MAP_FD, as libbpf leaves a map reference for the kernel.
  p.insns = assemble(text).map((i) => (i.idx === mapSlot ? { ...i, src: 1 } : i));
  p.references = new Map([[mapSlot, { kind: 'map', map }]]);
  p.funcInfo = [];
  p.lineInfo = [];
  return obj;
}

for (const engine of ENGINE_NAMES as readonly EngineName[]) {
  test(`${engine}: devices from the netdevs option; bpf_redirect_map records the target, the packet is unchanged`, async () => {
    const runtime = new Runtime({ netdevs: [{ ifindex: 4, name: 'eth0' }] });
    assert.deepEqual(runtime.netdevs.list().map((d) => d.ifindex), [1, 4]);
    const obj = BpfObject.open(OBJ(), { name: 'maps_devmap' });
    await obj.load({ runtime, engine });
    const tx = obj.map('tx');
    assert.equal(tx.flags & BPF_F_RDONLY_PROG, BPF_F_RDONLY_PROG);
    tx.update(u32(0), u32(4));
    assert.throws(() => tx.update(u32(1), u32(5)), (e) => isBpfError(e, EINVAL));
    const r = obj.program('redirect_devmap').run({ data: PKT });
    assert.equal(r.retval, XDP_REDIRECT);
    assert.deepEqual(r.dataOut, PKT);
    assert.deepEqual(r.redirect, { kind: 'map', target: 0, flags: 2n, map: 'tx', ifindex: 4 });
    tx.delete(u32(0));
    const miss = obj.program('redirect_devmap').run({ data: PKT });
    assert.equal(miss.retval, 2); // XDP_PASS from flags
    // The last calls missed (key 2^32 truncates to 0, deleted): a miss clears the redirect state.
    assert.equal(miss.redirect, undefined);
  });

  test(`${engine}: BPF_F_BROADCAST records every device in the kernel's walk order; EXCLUDE_INGRESS drops lo`, async () => {
    for (const [flags, want] of [[0x8, [1, 4, 1]], [0x18, [4]]] as const) {
      const obj = withAsm('redirect_devmap_hash', `lddw %r1, 0\nmov %r2, 77\nmov %r3, ${flags}\ncall 51\nexit`, 0, 'txh');
      await obj.load({ engine, netdevs: [{ ifindex: 4, name: 'eth0' }] });
      const txh = obj.map('txh');
      // n_buckets 8: key 9 shares bucket 1 with key 1 (newest first), key 3 is bucket 3.
      for (const [k, ifindex] of [[3, 1], [1, 4], [9, 1]] as const) txh.update(u32(k), Uint8Array.from([...u32(ifindex), 0, 0, 0, 0]));
      const r = obj.program('redirect_devmap_hash').run({ data: PKT });
      assert.equal(r.retval, XDP_REDIRECT);
      assert.deepEqual(r.redirect, { kind: 'map', target: 77, flags: BigInt(flags), map: 'txh', ifindexes: want });
    }
  });

  test(`${engine}: a program store into a devmap value is refused as on the kernel, at load and by verify()`, async () => {
    const store = (): BpfObject => withAsm('redirect_devmap', [
      'stw [%r10-4], 0', 'mov %r2, %r10', 'add %r2, -4', 'lddw %r1, 0', 'call 1', 'jeq %r0, 0, +1', 'stw [%r0+0], 7', 'mov %r0, 2', 'exit',
    ].join('\n'), 3, 'tx');
    const message = /write into map forbidden, value_size=4 off=0 size=4/;
    await assert.rejects(store().load({ engine }), (e: unknown) => isBpfError(e, EACCES) && message.test((e as Error).message));
    const verdict = store().verify({ programs: ['redirect_devmap'] }).find((p) => p.name === 'redirect_devmap');
    assert.ok(verdict?.error !== undefined && verdict.error.errno === EACCES && message.test(verdict.error.message));
  });
}

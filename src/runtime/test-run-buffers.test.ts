// Test runs keep their packet and context regions from run to run (xdp-run.ts, skb-run.ts): every
// run must still see what the kernel's fresh allocation gives (zeroed headroom and tailroom, no
// byte of an earlier run, the packet region cut to this run's size), on both engines. And the
// ingress device of a run is any device of the runtime's table (BPF_PROG_TEST_RUN's
// dev_get_by_index), used by bpf_redirect_map's BPF_F_EXCLUDE_INGRESS.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assemble } from '../isa/asm.ts';
import { RunError } from '../util/errors.ts';
import { EINVAL, ENODEV } from '../uapi/errno.ts';
import { BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_XDP, XDP_REDIRECT } from '../uapi/bpf.ts';
import { BpfObject } from './object.ts';
import { Runtime } from './runtime.ts';
import { ENGINE_NAMES, type EngineName } from './engine.ts';
import { errnoOf, objectWithAsm } from './test-helpers.ts';
import type { Netdev } from '../maps/netdev.ts';
import type { JitProgram } from '../jit/program.ts';

const devmapObj = (): Uint8Array => readFileSync(new URL('../../testdata/scenarios/maps_devmap.bpf.o', import.meta.url));
const NETDEVS: readonly Netdev[] = [{ ifindex: 4, name: 'eth0' }];

/** loader_progs with its program `xdp_pass` replaced by `text` as a program of `type`. */
const asm = (engine: EngineName, type: number, text: string, verify = true): Promise<BpfObject> =>
  objectWithAsm(text, { engine, type, verify, runtime: new Runtime({ netdevs: NETDEVS }) });

const packet = (n: number, fill = 0x11): Uint8Array => {
  const p = new Uint8Array(n).fill(fill);
  p.set([0x08, 0x00], 12);
  return p;
};
const u32At = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const withU32 = (size: number, fields: readonly (readonly [number, number])[]): Uint8Array => {
  const b = new Uint8Array(size);
  for (const [off, v] of fields) new DataView(b.buffer).setUint32(off, v, true);
  return b;
};

for (const engine of ENGINE_NAMES as readonly EngineName[]) {
  describe(`test run buffers reused from run to run (${engine})`, () => {
    it('XDP: the headroom a run writes into is zero again in the next run', async () => {
      // adjust_head(-64), return the byte at data + 1, then write 0xab there.
      const obj = await asm(engine, BPF_PROG_TYPE_XDP, `
        mov %r6, %r1
        mov %r2, -64
        call 44
        jne %r0, 0, fail
        ldxw %r2, [%r6+0]
        ldxw %r3, [%r6+4]
        mov %r4, %r2
        add %r4, 2
        jgt %r4, %r3, fail
        ldxb %r0, [%r2+1]
        stb [%r2+1], 0xab
        exit
      fail:
        mov %r0, 99
        exit`);
      const prog = obj.program('xdp_pass');
      for (const size of [64, 64, 200, 20]) {
        const data = packet(size);
        const r = prog.run({ data });
        assert.equal(r.retval, 0, `a ${size}-byte run read what an earlier run wrote`);
        assert.deepEqual(r.dataOut, Uint8Array.from([0, 0xab, ...new Uint8Array(62), ...data]));
      }
      obj.close();
    });

    it('skb (unverified): tailroom bytes are fresh, and the region ends with this run\'s packet', async () => {
      // cb[0] = how far past data_end to read a byte (then write 0xab there).
      const obj = await asm(engine, BPF_PROG_TYPE_SCHED_CLS, `
        ldxw %r4, [%r1+48]
        ldxw %r3, [%r1+80]
        add %r3, %r4
        ldxb %r0, [%r3+0]
        stb [%r3+0], 0xab
        exit`, false);
      const prog = obj.program('xdp_pass');
      const run = (size: number, past: number): number => prog.run({ data: packet(size), ctx: withU32(192, [[48, past]]) }).retval;
      assert.equal(run(100, 8), 0);
      assert.equal(run(100, 8), 0, 'same size: the tailroom written by the last run is zero again');
      assert.equal(run(1000, 8), 0);
      // 908 past a 100-byte packet was inside the last run's region; the region is 64 + 100 + 320 bytes now.
      assert.throws(() => run(100, 908), RunError);
      assert.throws(() => run(100, 320), RunError);
      assert.equal(run(100, 319), 0);
      assert.equal(run(60, 8), 0);
      obj.close();
    });

    it('skb: stores to __sk_buff fields stay per run; ctx_out carries them', async () => {
      // mark += 1 (from the run's context), cb[1] = len.
      const obj = await asm(engine, BPF_PROG_TYPE_SCHED_CLS, `
        ldxw %r2, [%r1+8]
        add %r2, 1
        stxw [%r1+8], %r2
        ldxw %r3, [%r1+0]
        stxw [%r1+52], %r3
        mov %r0, %r2
        exit`);
      const prog = obj.program('xdp_pass');
      const a = prog.run({ data: packet(40), ctx: withU32(192, [[8, 10]]) });
      assert.equal(a.retval, 11);
      assert.equal(u32At(a.ctxOut!, 8), 11);
      assert.equal(u32At(a.ctxOut!, 52), 40);
      const b = prog.run({ data: packet(30) });
      assert.equal(b.retval, 1, 'no context: mark starts at 0 again');
      assert.equal(b.ctxOut, undefined);
      obj.close();
    });
  });

  describe(`ingress devices of test runs (${engine})`, () => {
    it('XDP: any device of the runtime\'s table, one RX queue each; ENODEV for others', async () => {
      const obj = await asm(engine, BPF_PROG_TYPE_XDP, 'ldxw %r0, [%r1+12]\nldxw %r2, [%r1+16]\nadd %r0, %r2\nexit');
      const prog = obj.program('xdp_pass');
      const data = packet(64);
      const md = (ingress: number, rxq = 0): Uint8Array => withU32(24, [[4, 64], [12, ingress], [16, rxq]]);
      assert.equal(prog.run({ data }).retval, 1);
      assert.equal(prog.run({ data, ctx: md(0) }).retval, 1);
      assert.equal(prog.run({ data, ctx: md(4) }).retval, 4);
      assert.equal(prog.run({ data, ctx: md(1) }).retval, 1);
      assert.equal(errnoOf(() => prog.run({ data, ctx: md(5) })), ENODEV);
      assert.equal(errnoOf(() => prog.run({ data, ctx: md(4, 1) })), EINVAL);
      obj.close();
    });

    it('XDP: BPF_F_EXCLUDE_INGRESS leaves out the run\'s ingress device', async () => {
      const obj = BpfObject.open(devmapObj(), { name: 'maps_devmap' });
      const p = obj.spec.programs.get('redirect_devmap_hash')!;
      // bpf_redirect_map(&txh, 77, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)
      p.insns = assemble('lddw %r1, 0\nmov %r2, 77\nmov %r3, 0x18\ncall 51\nexit').map((i) => (i.idx === 0 ? { ...i, src: 1 } : i));
      p.references = new Map([[0, { kind: 'map', map: 'txh' }]]);
      p.funcInfo = [];
      p.lineInfo = [];
      await obj.load({ engine, netdevs: NETDEVS });
      const txh = obj.map('txh');
      for (const [k, ifindex] of [[3, 1], [1, 4], [9, 1]] as const) txh.update(withU32(4, [[0, k]]), withU32(8, [[0, ifindex]]));
      const data = packet(64);
      const prog = obj.program('redirect_devmap_hash');
      const onLo = prog.run({ data });
      assert.equal(onLo.retval, XDP_REDIRECT);
      assert.deepEqual(onLo.redirect?.ifindexes, [4]);
      const onEth0 = prog.run({ data, ctx: withU32(24, [[4, 64], [12, 4]]) });
      assert.deepEqual(onEth0.redirect?.ifindexes, [1, 1]);
      obj.close();
    });

    it('skb: a context ifindex above 1 names a device of the table; ENODEV for others', async () => {
      const obj = await asm(engine, BPF_PROG_TYPE_SCHED_CLS, 'ldxw %r0, [%r1+40]\nexit');
      const prog = obj.program('xdp_pass');
      const data = packet(64);
      assert.equal(prog.run({ data }).retval, 1);
      assert.equal(prog.run({ data, ctx: withU32(192, [[40, 1]]) }).retval, 1);
      const r = prog.run({ data, ctx: withU32(192, [[40, 4]]) });
      assert.equal(r.retval, 4);
      assert.equal(u32At(r.ctxOut!, 40), 4);
      assert.equal(errnoOf(() => prog.run({ data, ctx: withU32(192, [[40, 9]]) })), ENODEV);
      if (engine === 'jit') assert.equal((prog.program.engine as JitProgram).stats.inlinedCtxLoads, 1, 'the load is done in WebAssembly');
      obj.close();
    });

    it('skb: narrow and wide __sk_buff loads (in WebAssembly on the JIT) read the run\'s fields', async () => {
      // cb[0] byte 0 | cb[0] half 1 << 8
      const obj = await asm(engine, BPF_PROG_TYPE_SCHED_CLS, 'ldxb %r0, [%r1+48]\nldxh %r2, [%r1+50]\nlsh %r2, 8\nor %r0, %r2\nexit');
      const prog = obj.program('xdp_pass');
      assert.equal(prog.run({ data: packet(77), ctx: withU32(192, [[48, 0x44332211]]) }).retval, 0x11 | (0x4433 << 8));
      // data_end - data | protocol (the big-endian 0x0800 in a little-endian u32) << 16
      const hi = await asm(engine, BPF_PROG_TYPE_SCHED_CLS, 'ldxw %r3, [%r1+76]\nldxw %r4, [%r1+80]\nsub %r4, %r3\nldxh %r5, [%r1+16]\nlsh %r5, 16\nor %r4, %r5\nmov %r0, %r4\nexit');
      assert.equal(hi.program('xdp_pass').run({ data: packet(77) }).retval, 77 | (0x0008 << 16));
      if (engine === 'jit') {
        assert.equal((prog.program.engine as JitProgram).stats.inlinedCtxLoads, 2);
        assert.equal((hi.program('xdp_pass').program.engine as JitProgram).stats.inlinedCtxLoads, 3);
      }
      obj.close();
      hi.close();
    });
  });
}

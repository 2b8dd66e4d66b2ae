import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BPF_FUNC_map_lookup_elem,
} from '../../src/uapi/helpers.ts';
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_QUEUE, BPF_PROG_TYPE_SOCKET_FILTER,
  BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_XDP, XDP_PASS,
} from '../../src/uapi/bpf.ts';
import { EACCES, EINVAL } from '../../src/uapi/errno.ts';
import { isBpfError } from '../../src/util/errors.ts';
import { kernelAvailable, runOnKernel, type KernelResult } from './runner.ts';

// A tiny local encoder, so these tests do not depend on src/isa/ (written in parallel).
function insn(code: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, code);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return [...b];
}
const prog = (...slots: number[][]): Uint8Array => Uint8Array.from(slots.flat());
const movImm = (dst: number, imm: number) => insn(0xb7, dst, 0, 0, imm); // BPF_ALU64|BPF_MOV|BPF_K
const addImm = (dst: number, imm: number) => insn(0x07, dst, 0, 0, imm); // BPF_ALU64|BPF_ADD|BPF_K
const movReg = (dst: number, src: number) => insn(0xbf, dst, src, 0, 0); // BPF_ALU64|BPF_MOV|BPF_X
const ldxW = (dst: number, src: number, off: number) => insn(0x61, dst, src, off, 0);
const ldxB = (dst: number, src: number, off: number) => insn(0x71, dst, src, off, 0);
const ldxDW = (dst: number, src: number, off: number) => insn(0x79, dst, src, off, 0);
const stxDW = (dst: number, src: number, off: number) => insn(0x7b, dst, src, off, 0);
const stW = (dst: number, off: number, imm: number) => insn(0x62, dst, 0, off, imm);
const jgtReg = (dst: number, src: number, off: number) => insn(0x2d, dst, src, off, 0);
const jeqImm = (dst: number, imm: number, off: number) => insn(0x15, dst, 0, off, imm);
const call = (id: number) => insn(0x85, 0, 0, 0, id);
const exit = () => insn(0x95, 0, 0, 0, 0);
// ld_imm64 r, map N: src_reg BPF_PSEUDO_MAP_FD, imm = index of the map in the spec.
const ldMap = (dst: number, idx: number) => [...insn(0x18, dst, 1, 0, idx), ...insn(0, 0, 0, 0, 0)];

const avail = kernelAvailable();
const le32 = (n: number) => Buffer.from(Uint32Array.of(n).buffer).toString('hex');
const le64 = (n: number) => Buffer.from(BigUint64Array.of(BigInt(n)).buffer).toString('hex');

function ok(r: KernelResult): Extract<KernelResult, { ok: true }> {
  if (!r.ok) assert.fail(`kernel failed at ${r.stage}: errno ${r.errno}: ${r.message}\n${r.log ?? ''}`);
  return r;
}

test('syscall program: returns a constant and writes its ctx back', (t) => {
  if (!avail.ok) return t.skip(`kernel not available: ${avail.reason}`);
  // *(u32 *)(ctx + 4) = *(u32 *)(ctx + 0) + 1; return 7
  const insns = prog(ldxW(2, 1, 0), addImm(2, 1), insn(0x63, 1, 2, 4, 0), movImm(0, 7), exit());
  const r = ok(runOnKernel({ progType: BPF_PROG_TYPE_SYSCALL, insns, ctx: Uint8Array.from([41, 0, 0, 0, 0, 0, 0, 0]) }));
  assert.equal(r.retval, 7);
  assert.deepEqual([...r.ctxOut], [41, 0, 0, 0, 42, 0, 0, 0]);
});

test('syscall program: the kernel refuses repeat with EINVAL at test_run', (t) => {
  if (!avail.ok) return t.skip(`kernel not available: ${avail.reason}`);
  const r = runOnKernel({ progType: BPF_PROG_TYPE_SYSCALL, insns: prog(movImm(0, 0), exit()), ctx: new Uint8Array(8), repeat: 2 });
  assert.ok(!r.ok);
  assert.equal(r.stage, 'test_run');
  assert.equal(r.errno, EINVAL);
});

test('XDP program reads a packet byte after a bounds check', (t) => {
  if (!avail.ok) return t.skip(`kernel not available: ${avail.reason}`);
  const insns = prog(
    ldxW(2, 1, 0), // r2 = ctx->data
    ldxW(3, 1, 4), // r3 = ctx->data_end
    movReg(4, 2),
    addImm(4, 1),
    jgtReg(4, 3, 2), // if data + 1 > data_end goto out
    ldxB(0, 2, 0), // r0 = data[0]
    exit(),
    movImm(0, 0), // out:
    exit(),
  );
  const data = new Uint8Array(64);
  data[0] = 0x2a;
  const r = ok(runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns, data, repeat: 10 }));
  assert.equal(r.retval, 0x2a);
  assert.deepEqual(r.dataOut, data);
  data[0] = XDP_PASS;
  assert.equal(ok(runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns, data })).retval, XDP_PASS);
});

// The kernel's skb test run consumes the 14-byte Ethernet header (eth_type_trans) before the
// program runs, so skb->len is the packet size minus 14: a fact tsbpf must reproduce.
test('socket filter returns skb->len, without the Ethernet header', (t) => {
  if (!avail.ok) return t.skip(`kernel not available: ${avail.reason}`);
  const r = ok(runOnKernel({ progType: BPF_PROG_TYPE_SOCKET_FILTER, insns: prog(ldxW(0, 1, 0), exit()), data: new Uint8Array(60) }));
  assert.equal(r.retval, 60 - 14);
});

// value = lookup(map 0, key 1); if (value) *value += 1; return XDP_PASS
const counterProg = prog(
  stW(10, -4, 1),
  movReg(2, 10),
  addImm(2, -4),
  ldMap(1, 0),
  call(BPF_FUNC_map_lookup_elem),
  jeqImm(0, 0, 3),
  ldxDW(1, 0, 0),
  addImm(1, 1),
  stxDW(0, 1, 0),
  movImm(0, XDP_PASS),
  exit(),
);

test('array map counter incremented by a program, then dumped', (t) => {
  if (!avail.ok) return t.skip(`kernel not available: ${avail.reason}`);
  const key1 = Uint8Array.from([1, 0, 0, 0]);
  const ten = Uint8Array.from([10, 0, 0, 0, 0, 0, 0, 0]);
  const r = ok(
    runOnKernel({
      progType: BPF_PROG_TYPE_XDP,
      insns: counterProg,
      data: new Uint8Array(64),
      repeat: 5,
      maps: [{ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 3, entries: [{ key: key1, value: ten }] }],
      dumpMaps: true,
    }),
  );
  assert.equal(r.retval, XDP_PASS);
  assert.deepEqual(r.maps, [
    [
      [le32(0), le64(0)],
      [le32(1), le64(15)],
      [le32(2), le64(0)],
    ],
  ]);
});

test('queue maps dump by popping in FIFO order; per-CPU values cover every possible CPU', (t) => {
  if (!avail.ok) return t.skip(`kernel not available: ${avail.reason}`);
  const empty = new Uint8Array(0);
  const r = ok(
    runOnKernel({
      progType: BPF_PROG_TYPE_XDP,
      insns: prog(movImm(0, XDP_PASS), exit()),
      data: new Uint8Array(64),
      maps: [
        {
          type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 4, maxEntries: 4,
          entries: [{ key: empty, value: Uint8Array.from([1, 0, 0, 0]) }, { key: empty, value: Uint8Array.from([2, 0, 0, 0]) }],
        },
        { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 },
      ],
      dumpMaps: true,
    }),
  );
  assert.deepEqual(r.maps?.[0], [['', le32(1)], ['', le32(2)]]);
  const percpu = r.maps?.[1]?.[0];
  assert.ok(percpu !== undefined);
  assert.equal(percpu[0], le32(0));
  assert.ok(percpu[1].length > 0 && percpu[1].length % 16 === 0, 'one 8-byte slot per possible CPU');
});

test('a verifier rejection is stage load with EACCES and the log', (t) => {
  if (!avail.ok) return t.skip(`kernel not available: ${avail.reason}`);
  const r = runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns: prog(exit()), data: new Uint8Array(64) });
  assert.ok(!r.ok);
  assert.equal(r.stage, 'load');
  assert.equal(r.errno, EACCES);
  assert.match(r.log ?? '', /R0 !read_ok/);
});

test('logLevel returns the verifier log of a successful load; loadOnly skips the run', (t) => {
  if (!avail.ok) return t.skip(`kernel not available: ${avail.reason}`);
  const r = ok(runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns: prog(movImm(0, 1), exit()), logLevel: 2, loadOnly: true }));
  assert.match(r.log ?? '', /processed 2 insns/);
  assert.equal(r.retval, 0);
});

test('malformed specs throw BpfError EINVAL', (t) => {
  if (!avail.ok) return t.skip(`kernel not available: ${avail.reason}`);
  assert.throws(() => runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns: new Uint8Array(12) }), (e) => isBpfError(e, EINVAL));
  // ld_imm64 refers to map 0 but there are no maps.
  assert.throws(() => runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns: counterProg }), (e) => isBpfError(e, EINVAL));
  assert.throws(
    () => runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns: counterProg, maps: [{ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, entries: [{ key: new Uint8Array(2), value: new Uint8Array(8) }] }] }),
    (e) => isBpfError(e, EINVAL),
  );
  assert.throws(() => runOnKernel({ progType: -1, insns: prog(exit()) }), (e) => isBpfError(e, EINVAL));
});

test('map creation failures report the stage, the map and the errno', (t) => {
  if (!avail.ok) return t.skip(`kernel not available: ${avail.reason}`);
  const r = runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns: prog(movImm(0, 2), exit()), maps: [{ type: BPF_MAP_TYPE_ARRAY, keySize: 8, valueSize: 8, maxEntries: 1 }] });
  assert.ok(!r.ok);
  assert.equal(r.stage, 'map_create');
  assert.equal(r.map, 0);
  assert.equal(r.errno, EINVAL); // array keys must be 4 bytes
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBtf } from './parse.ts';
import { formatBtfRaw } from './dump.ts';
import { BtfBuilder, fixtureText, loadSections } from './test-helpers.ts';
import { isBpfError } from '../util/errors.ts';

const FIXTURES = ['btf_kinds', 'btf_special', 'btf_core', 'elf_sections', 'elf_subprogs'];

for (const name of FIXTURES) {
  test(`${name}: the type graph matches bpftool btf dump`, () => {
    const btf = parseBtf(loadSections(`${name}.bpf.o`).btf);
    assert.equal(formatBtfRaw(btf), fixtureText(`${name}.bpftool.txt`));
  });
}

test('btf_kinds: every kind clang emits is present', () => {
  const btf = parseBtf(loadSections('btf_kinds.bpf.o').btf);
  const kinds = new Set(btf.types.map((t) => t.kind));
  for (const k of ['int', 'ptr', 'array', 'struct', 'union', 'enum', 'enum64', 'fwd', 'typedef', 'volatile', 'const', 'restrict',
    'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag'] as const) {
    assert.ok(kinds.has(k), `missing ${k}`);
  }
});

test('btf_kinds: lookups and layout', () => {
  const { btf: bytes } = loadSections('btf_kinds.bpf.o');
  const btf = parseBtf(bytes);
  assert.equal(btf.bytes, bytes);
  const kinds = btf.typeByName('kinds', 'struct');
  assert.ok(kinds !== undefined && kinds.kind === 'struct');
  assert.equal(btf.sizeof(kinds.id), 128);
  assert.equal(btf.alignof(kinds.id), 8);
  assert.equal(btf.memberByteOffset(kinds.id, 'matrix'), 104);
  const matrix = btf.findMember(kinds.id, 'matrix')!;
  assert.equal(btf.sizeof(matrix.member.type), 24);
  const cv = btf.findMember(kinds.id, 'cv')!;
  assert.equal(btf.resolve(cv.member.type).name, 'int');
  const u = btf.typeByName('u64_t', 'typedef')!;
  assert.equal(btf.sizeof(u.id), 8);
  assert.equal(btf.resolve(u.id).name, 'unsigned long long');
  const bits = btf.typeByName('bits', 'struct');
  assert.ok(bits?.kind === 'struct' && bits.kindFlag);
  assert.deepEqual(bits.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]),
    [['a', 0, 3], ['b', 3, 5], ['c', 8, 0], ['d', 16, 40], ['flag', 56, 0]]);
  const neg = btf.typeByName('neg', 'enum');
  assert.ok(neg?.kind === 'enum' && neg.signed);
  assert.deepEqual(neg.values.map((v) => v.value), [-3n, 7n]);
  const big = btf.typeByName('big64', 'enum64');
  assert.ok(big?.kind === 'enum64');
  assert.equal(big.values[1]?.value, 0x123456789an);
  const proto = btf.types.find((t) => t.kind === 'func_proto' && t.variadic);
  assert.ok(proto?.kind === 'func_proto' && proto.params.length === 2);
  const fn = btf.typeByName('helper_fn', 'func');
  assert.ok(fn?.kind === 'func' && fn.linkage === 'static');
  const tags = btf.types.filter((t) => t.kind === 'decl_tag').map((t) => t.kind === 'decl_tag' && [t.name, btf.typeById(t.type).name, t.componentIdx]);
  assert.deepEqual(tags, [['kinds_struct', 'kinds', -1], ['bits_struct', 'bits', -1], ['arg_tag', 'helper_fn', 0], ['func_tag', 'helper_fn', -1], ['counter_tag', 'global_counter', -1]]);
  assert.throws(() => btf.typeById(btf.types.length), (e) => isBpfError(e) && e.name === 'BtfError');
  assert.throws(() => btf.sizeof(0), /has no size/);
  assert.equal(btf.typeByName('nope'), undefined);
});

test('alignment as libbpf computes it (BTF does not record aligned attributes)', () => {
  const btf = parseBtf(loadSections('btf_special.bpf.o').btf);
  // uapi bpf_timer is two unnamed bitfields: vlen 0, so BTF alignment 1 despite aligned(8).
  assert.equal(btf.alignof(btf.typeByName('bpf_timer', 'struct')!.id), 1);
  assert.equal(btf.alignof(btf.typeByName('v_timer_lock', 'struct')!.id), 8);
  // struct { char c; int i __attribute__((packed)); } is 5 bytes: packed, alignment 1.
  const packed = parseBtf(new BtfBuilder().int('int', 4, true).int('char', 1, true).struct('p', 5, [['c', 2, 0], ['i', 1, 8]]).build());
  assert.equal(packed.alignof(3), 1);
  assert.equal(packed.sizeof(3), 5);
});

function rejects(b: BtfBuilder | Uint8Array, msg: RegExp): void {
  const bytes = b instanceof Uint8Array ? b : b.build();
  assert.throws(() => parseBtf(bytes), (e: unknown) => isBpfError(e) && (e as Error).name === 'BtfError' && msg.test((e as Error).message));
}

test('header checks', () => {
  const good = new BtfBuilder().int('int', 4, true).build();
  parseBtf(good);
  const m = (f: (b: Uint8Array) => void): Uint8Array => { const c = good.slice(); f(c); return c; };
  rejects(good.subarray(0, 10), /shorter than its 24-byte header/);
  rejects(m((b) => { b[0] = 0xeb; b[1] = 0x9f; }), /big-endian/);
  rejects(m((b) => { b[0] = 0; }), /magic/);
  rejects(m((b) => { b[2] = 2; }), /version 2/);
  rejects(m((b) => { b[3] = 1; }), /flags/);
  rejects(m((b) => { b[4] = 100; }), /hdr_len/);
  rejects(m((b) => { b[12] = b[12]! + 4; }), /overlaps|runs past/);
  rejects(m((b) => { b[b.length - 1] = 0x41; }), /not NUL-terminated/);
  rejects(m((b) => { b[8] = 2; }), /aligned/);
  const longer = new Uint8Array(good.length + 4);
  longer.set(good);
  rejects(longer, /trailing/);
});

test('type checks name the type id and the rule', () => {
  rejects(new BtfBuilder().type('', 20, 0, 0), /\[1\].*invalid kind 20/);
  rejects(new BtfBuilder().int('int', 3), /\[1\] INT 'int': unsupported size 3/);
  rejects(new BtfBuilder().type('x', 8, 0, 5), /\[1\] TYPEDEF 'x': invalid type_id|out of range/);
  rejects(new BtfBuilder().type('1bad', 8, 0, 0), /invalid name/);
  rejects(new BtfBuilder().type('p', 2, 0, 0), /\[1\] PTR 'p': invalid name/);
  rejects(new BtfBuilder().int('int', 4).struct('s', 4, [['a', 1, 0], ['b', 1, 64]]), /exceeds its struct size/);
  rejects(new BtfBuilder().int('int', 4).struct('s', 4, [['a', 1, 16]]), /member 'a': member exceeds struct_size/);
  rejects(new BtfBuilder().int('int', 4).struct('s', 8, [['a', 1, 32], ['b', 1, 0]]), /invalid member bits_offset/);
  rejects(new BtfBuilder().int('int', 4).struct('u', 8, [['a', 1, 32]], true), /invalid member bits_offset/);
  rejects(new BtfBuilder().type('s', 4, 2, 8, [1, 1, 0]), /meta_left/);
  rejects(new BtfBuilder().type('f', 12, 0, 0), /not func_proto/);
});

test('cycles are detected', () => {
  // typedef a -> typedef b -> typedef a
  rejects(new BtfBuilder().type('a', 8, 0, 2).type('b', 8, 0, 1), /loop detected/);
  // ptr -> const -> ptr (no struct in between)
  rejects(new BtfBuilder().type('', 2, 0, 2).type('', 10, 0, 1), /loop detected/);
  // struct s { struct s inner; }
  rejects(new BtfBuilder().struct('s', 8, [['inner', 1, 0]]), /loop detected/);
  // array of itself
  rejects(new BtfBuilder().int('int', 4).type('', 3, 0, 0, [2, 1, 2]), /loop detected/);
  // A self-referencing struct through a pointer is fine.
  const ok = parseBtf(new BtfBuilder().struct('node', 8, [['next', 2, 0]]).type('', 2, 0, 1).build());
  assert.equal(ok.sizeof(1), 8);
});

test('resolve depth is bounded like MAX_RESOLVE_DEPTH', () => {
  // 40 typedefs each pointing to the next id: a forward chain deeper than 32.
  const b = new BtfBuilder();
  for (let i = 1; i <= 40; i++) b.type(`t${i}`, 8, 0, i + 1);
  b.int('int', 4);
  rejects(b, /max resolve depth/);
  // The same chain pointing backwards resolves (memoised in id order, as the kernel does).
  const back = new BtfBuilder().int('int', 4);
  for (let i = 2; i <= 41; i++) back.type(`t${i}`, 8, 0, i - 1);
  assert.equal(parseBtf(back.build()).sizeof(41), 4);
});

/** Deterministic PRNG (mulberry32) so fuzz failures reproduce. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parsesOrBtfError(bytes: Uint8Array): void {
  try {
    parseBtf(bytes);
  } catch (e) {
    if (!(isBpfError(e) && (e as Error).name === 'BtfError')) throw e;
  }
}

test('truncation at every byte gives a BtfError', () => {
  const { btf } = loadSections('btf_kinds.bpf.o');
  for (let n = 0; n < btf.length; n++) {
    const cut = btf.slice(0, n);
    assert.throws(() => parseBtf(cut), (e) => isBpfError(e));
    // Also truncate the declared section lengths consistently: a short type section.
    if (n >= 24 && n % 4 === 0) {
      const c = btf.slice();
      new DataView(c.buffer).setUint32(12, Math.min(n - 24, new DataView(c.buffer).getUint32(12, true)), true);
      parsesOrBtfError(c);
    }
  }
});

test('mutation fuzz (fixed seed): BtfError or a successful parse, nothing else', () => {
  const rand = prng(0x5eed);
  for (const name of ['btf_kinds', 'btf_special', 'btf_core']) {
    const base = loadSections(`${name}.bpf.o`).btf;
    for (let iter = 0; iter < 1500; iter++) {
      const b = base.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++) {
        const at = Math.floor(rand() * b.length);
        const r = rand();
        b[at] = r < 0.4 ? Math.floor(rand() * 256) : r < 0.7 ? b[at]! ^ (1 << Math.floor(rand() * 8)) : r < 0.85 ? 0 : 0xff;
      }
      parsesOrBtfError(b);
    }
  }
});

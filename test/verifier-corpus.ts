/**
 * The verifier corpus format: testdata/verifier/*.s, programs in the conformance assembler dialect
 * with header comments that say how to load them and what the kernel answers. Read by
 * test/verifier-corpus.test.ts and scripts/fuzz-verifier.ts. Test-only (Node).
 *
 *   # prog: xdp | socket | sched_cls | sched_act | syscall | kprobe | tracepoint | raw_tracepoint | perf_event
 *   # license: MIT                      (default GPL; one word)
 *   # map: TYPE key=4 value=8 max=16 [flags=N] [btf] [timer=OFF] [lock=OFF] [inner=N]
 *        maps are named m0, m1, ... in order. `btf` creates the map with BTF for its key and value;
 *        `timer=OFF` / `lock=OFF` put a struct bpf_timer / bpf_spin_lock at OFF in the value (and imply
 *        btf); `inner=N` makes map N (declared earlier) the inner map template of a map-in-map.
 *   # global: LABEL                     the subprogram at LABEL has global linkage in func_info
 *   # func_info: none                   load without BTF func_info even though subprograms exist
 *   # expect: accept | reject [ERRNO] "<substring of the kernel's message>" | map_create ERRNO
 *        reject: the verifier refuses the program (with that errno, when given); map_create: the
 *        kernel refuses to create a declared map before any verification (rules that live there).
 *
 * Instruction operands beyond the assembler's:
 *   lddw %r1, map:N            ld_imm64 of map N (BPF_PSEUDO_MAP_FD)
 *   lddw %r1, mapvalue:N+OFF   address of byte OFF of map N's value (BPF_PSEUDO_MAP_VALUE)
 *   lddw %r2, func:LABEL       address of the subprogram at LABEL (BPF_PSEUDO_FUNC)
 *   insn  #@ source text       a BTF line_info record for the instruction (file corpus.c, the
 *                              .s line number); a program with any needs one at each subprogram start
 *
 * func_info (BTF) is generated, one static FUNC per subprogram, whenever the program takes a
 * function's address (the kernel requires it for callbacks) or a map has BTF.
 */
import assert from 'node:assert/strict';
import { BtfBuilder } from '../src/btf/test-helpers.ts';
import { findSpecialFields, parseBtf } from '../src/btf/index.ts';
import { assemble, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, type Insn } from '../src/isa/index.ts';
import * as B from '../src/uapi/bpf.ts';
import { ERRNO_NAMES } from '../src/uapi/errno.ts';
import type { VerifierMap, VerifierProgram } from '../src/verifier/index.ts';
import type { KernelMapSpec, KernelRunSpec } from '../tools/kernel/runner.ts';

export const PROG_TYPES: Readonly<Record<string, number>> = {
  xdp: B.BPF_PROG_TYPE_XDP, socket: B.BPF_PROG_TYPE_SOCKET_FILTER, sched_cls: B.BPF_PROG_TYPE_SCHED_CLS,
  sched_act: B.BPF_PROG_TYPE_SCHED_ACT, syscall: B.BPF_PROG_TYPE_SYSCALL, kprobe: B.BPF_PROG_TYPE_KPROBE,
  tracepoint: B.BPF_PROG_TYPE_TRACEPOINT, raw_tracepoint: B.BPF_PROG_TYPE_RAW_TRACEPOINT,
  perf_event: B.BPF_PROG_TYPE_PERF_EVENT,
};

export const MAP_TYPES: Readonly<Record<string, number>> = {
  hash: B.BPF_MAP_TYPE_HASH, array: B.BPF_MAP_TYPE_ARRAY, ringbuf: B.BPF_MAP_TYPE_RINGBUF,
  prog_array: B.BPF_MAP_TYPE_PROG_ARRAY, percpu_array: B.BPF_MAP_TYPE_PERCPU_ARRAY, queue: B.BPF_MAP_TYPE_QUEUE,
  stack: B.BPF_MAP_TYPE_STACK, lru_hash: B.BPF_MAP_TYPE_LRU_HASH, percpu_hash: B.BPF_MAP_TYPE_PERCPU_HASH,
  array_of_maps: B.BPF_MAP_TYPE_ARRAY_OF_MAPS, hash_of_maps: B.BPF_MAP_TYPE_HASH_OF_MAPS,
  user_ringbuf: B.BPF_MAP_TYPE_USER_RINGBUF, perf_event_array: B.BPF_MAP_TYPE_PERF_EVENT_ARRAY,
};

/** One map declaration of a corpus program. */
export interface CorpusMap {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly btf: boolean;
  readonly timerOff?: number;
  readonly lockOff?: number;
  readonly inner?: number;
}

export interface CorpusCase {
  readonly name: string;
  readonly progType: number;
  readonly license: string;
  readonly maps: readonly CorpusMap[];
  readonly insns: readonly Insn[];
  readonly expect: CorpusExpect;
  /** Subprogram start slots (0 first) and whether each is global. */
  readonly subprogs: readonly { readonly start: number; readonly global: boolean }[];
  /** Whether func_info is passed. */
  readonly withFuncInfo: boolean;
  /** Line info records: slot, source text, line number in the .s file. */
  readonly lines: readonly { readonly slot: number; readonly text: string; readonly lineNum: number }[];
}

/** What a corpus program expects of the kernel (and so of tsbpf). */
export type CorpusExpect =
  | { readonly ok: true }
  | { readonly ok: false; readonly msg: string; readonly errno?: number }
  | { readonly mapCreate: number };

const ERRNO_BY_NAME = new Map(Object.entries(ERRNO_NAMES).map(([n, name]) => [name as string, Number(n)]));

function parseExpect(file: string, val: string): CorpusExpect {
  if (val === 'accept') return { ok: true };
  const reject = /^reject\s+(?:(E[A-Z0-9]+)\s+)?"(.*)"$/.exec(val);
  if (reject) {
    const errno = reject[1] !== undefined ? ERRNO_BY_NAME.get(reject[1]) : undefined;
    assert.ok(reject[1] === undefined || errno !== undefined, `${file}: unknown errno ${reject[1] ?? ''}`);
    return { ok: false, msg: reject[2] ?? '', ...(errno !== undefined ? { errno } : {}) };
  }
  const mc = /^map_create\s+(E[A-Z0-9]+)$/.exec(val);
  const errno = mc ? ERRNO_BY_NAME.get(mc[1] ?? '') : undefined;
  assert.ok(errno !== undefined, `${file}: bad expect line: ${val}`);
  return { mapCreate: errno };
}

type Ref = { kind: 'map'; map: number } | { kind: 'mapvalue'; map: number; off: number } | { kind: 'func'; label: string };

/** Counts slots line by line so labels and references can be resolved by slot. */
function slotsOfLine(text: string): number {
  let t = text.replace(/#.*$/, '').trim();
  const body = t.replace(/^[A-Za-z_.$][\w.$]*:\s*/, '');
  if (body === '') return 0;
  t = body;
  return /^lddw\b/.test(t) ? 2 : 1;
}

/** Parses one corpus file. Throws an AssertionError naming the file when a header is missing or malformed. */
export function parseCorpusCase(name: string, text: string): CorpusCase {
  let progType = -1;
  let license = 'GPL';
  let expect: CorpusCase['expect'] | undefined;
  let funcInfoNone = false;
  const globals = new Set<string>();
  const maps: CorpusMap[] = [];
  const body: string[] = [];
  const refs = new Map<number, Ref>();
  const labels = new Map<string, number>();
  const localCalls: { slot: number; label: string }[] = [];
  let slot = 0;
  const lines: { slot: number; text: string; lineNum: number }[] = [];
  let lineNum = 0;
  for (const raw of text.split('\n')) {
    lineNum++;
    const src = /#@\s?(.*)$/.exec(raw);
    const line = src ? raw.slice(0, src.index) : raw;
    if (src && slotsOfLine(line) > 0) lines.push({ slot, text: src[1] ?? '', lineNum });
    const h = /^#\s*(prog|map|expect|license|global|func_info):\s*(.*)$/.exec(line.trim());
    if (h) {
      const key = h[1] as string;
      const val = (h[2] ?? '').trim();
      if (key === 'prog') progType = PROG_TYPES[val] ?? -1;
      else if (key === 'license') license = val;
      else if (key === 'global') globals.add(val);
      else if (key === 'func_info') funcInfoNone = val === 'none';
      else if (key === 'expect') expect = parseExpect(name, val);
      else maps.push(parseMap(name, maps.length, val));
      continue;
    }
    const label = /^\s*([A-Za-z_.$][\w.$]*):/.exec(line);
    if (label) labels.set(label[1] as string, slot);
    const call = /^\s*call\s+local\s+([A-Za-z_.$][\w.$]*)\s*$/.exec(line);
    if (call) localCalls.push({ slot, label: call[1] as string });
    const patched = line.replace(/\b(map|mapvalue|func):([\w.$]+)(?:\+(\d+))?/, (_, kind: string, what: string, off?: string) => {
      if (kind === 'func') refs.set(slot, { kind: 'func', label: what });
      else if (kind === 'map') refs.set(slot, { kind: 'map', map: Number(what) });
      else refs.set(slot, { kind: 'mapvalue', map: Number(what), off: Number(off ?? 0) });
      return '0';
    });
    body.push(patched);
    slot += slotsOfLine(line);
  }
  assert.ok(progType >= 0 && expect, `${name}: needs "# prog:" (a known type) and "# expect:"`);
  const insns = assemble(body.join('\n')).map((i): Insn => {
    const ref = refs.get(i.idx);
    if (!ref) return i;
    assert.equal(i.code, 0x18, `${name}: a map:/func: operand outside lddw at slot ${i.idx}`);
    if (ref.kind === 'map') {
      assert.ok(ref.map < maps.length, `${name}: no map ${ref.map}`);
      return { ...i, src: BPF_PSEUDO_MAP_FD, imm: ref.map, imm64: BigInt(ref.map), imm2: 0 };
    }
    if (ref.kind === 'mapvalue') {
      assert.ok(ref.map < maps.length, `${name}: no map ${ref.map}`);
      return { ...i, src: BPF_PSEUDO_MAP_VALUE, imm: ref.map, imm64: BigInt(ref.map) | (BigInt(ref.off) << 32n), imm2: ref.off };
    }
    const target = labels.get(ref.label);
    assert.ok(target !== undefined, `${name}: no label ${ref.label}`);
    const rel = target - i.idx - 1;
    return { ...i, src: BPF_PSEUDO_FUNC, imm: rel, imm64: BigInt.asUintN(32, BigInt(rel)), imm2: 0 };
  });
  const starts = new Set<number>([0]);
  const globalStarts = new Set<number>();
  for (const c of localCalls) { const t = labels.get(c.label); if (t !== undefined) starts.add(t); }
  for (const r of refs.values()) if (r.kind === 'func') starts.add(labels.get(r.label) ?? 0);
  for (const g of globals) {
    const t = labels.get(g);
    assert.ok(t !== undefined, `${name}: "# global: ${g}" names no label`);
    globalStarts.add(t);
  }
  const subprogs = [...starts].sort((a, b) => a - b).map((start) => ({ start, global: globalStarts.has(start) }));
  const takesAddress = [...refs.values()].some((r) => r.kind === 'func');
  const withFuncInfo = !funcInfoNone && (takesAddress || globals.size > 0 || maps.some((m) => m.btf) || lines.length > 0);
  return { name, progType, license, maps, insns, expect, subprogs, withFuncInfo, lines };
}

function parseMap(file: string, index: number, val: string): CorpusMap {
  const [type = '', ...kv] = val.split(/\s+/);
  const f = new Map(kv.map((s) => { const [k = '', v = ''] = s.split('='); return [k, v] as const; }));
  const mapType = MAP_TYPES[type];
  assert.ok(mapType !== undefined, `${file}: unknown map type ${type}`);
  const num = (k: string): number | undefined => (f.has(k) ? Number(f.get(k)) : undefined);
  const timerOff = num('timer'), lockOff = num('lock'), inner = num('inner');
  return {
    name: `m${index}`, type: mapType, keySize: num('key') ?? 0, valueSize: num('value') ?? 0, maxEntries: num('max') ?? 1,
    flags: num('flags') ?? 0, btf: f.has('btf') || timerOff !== undefined || lockOff !== undefined,
    ...(timerOff !== undefined ? { timerOff } : {}), ...(lockOff !== undefined ? { lockOff } : {}),
    ...(inner !== undefined ? { inner } : {}),
  };
}

/** The BTF of a case: per BTF map a key type and a value struct; per subprogram a FUNC; line strings. */
interface CaseBtf {
  readonly bytes: Uint8Array;
  readonly mapTypes: ReadonlyMap<number, { key: number; value: number }>;
  readonly funcTypes: readonly number[];
  /** String offsets of the file name and of each line_info text. */
  readonly fileOff: number;
  readonly lineOffs: readonly number[];
}

/** The source file name line info records name. */
export const CORPUS_SOURCE_FILE = 'corpus.c';

function buildBtf(c: CorpusCase): CaseBtf | undefined {
  if (!c.withFuncInfo && !c.maps.some((m) => m.btf)) return undefined;
  const b = new BtfBuilder();
  let next = 1;
  const add = (fn: () => void): number => { fn(); return next++; };
  const intId = add(() => b.int('int', 4, true));
  const u32Id = add(() => b.int('u32', 4));
  const timerId = add(() => b.struct('bpf_timer', 16, []));
  const lockId = add(() => b.struct('bpf_spin_lock', 4, [['val', u32Id, 0]]));
  const mapTypes = new Map<number, { key: number; value: number }>();
  c.maps.forEach((m, i) => {
    if (!m.btf) return;
    const key = m.keySize === 4 ? u32Id : add(() => b.struct(`key${i}`, m.keySize, []));
    const members: [string, number, number][] = [];
    if (m.lockOff !== undefined) members.push(['lock', lockId, m.lockOff * 8]);
    if (m.timerOff !== undefined) members.push(['timer', timerId, m.timerOff * 8]);
    members.sort((x, y) => x[2] - y[2]);
    const value = add(() => b.struct(`val${i}`, m.valueSize, members));
    mapTypes.set(i, { key, value });
  });
  const protoId = add(() => b.type('', 13, 0, intId));
  const funcTypes = c.subprogs.map((s, k) => add(() => b.type(k === 0 ? 'prog' : `func${k}`, 12, s.global || k === 0 ? 1 : 0, protoId)));
  const fileOff = b.str(CORPUS_SOURCE_FILE);
  const lineOffs = c.lines.map((l) => b.str(l.text));
  return { bytes: b.build(), mapTypes, funcTypes, fileOff, lineOffs };
}

/** What tsbpf's verify() takes for a case (map records come from parsing the generated BTF). */
export function verifierProgram(c: CorpusCase): VerifierProgram {
  const btf = buildBtf(c);
  const parsed = btf ? parseBtf(btf.bytes) : undefined;
  const maps: VerifierMap[] = [];
  c.maps.forEach((m, i) => {
    const ids = btf?.mapTypes.get(i);
    const record = parsed && ids ? findSpecialFields(parsed, ids.value, { valueSize: m.valueSize }) : undefined;
    const innerMap = m.inner !== undefined ? maps[m.inner] : undefined;
    maps.push({
      name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags,
      hasBtf: ids !== undefined, ...(record ? { record } : {}), ...(innerMap ? { innerMap } : {}),
    });
  });
  return {
    name: c.name, insns: c.insns, progType: c.progType, license: c.license, maps,
    ...(c.withFuncInfo && btf ? {
      funcInfo: c.subprogs.map((s, k) => ({ insnIdx: s.start, typeId: btf.funcTypes[k] as number, linkage: s.global || k === 0 ? 'global' as const : 'static' as const })),
    } : {}),
    ...(c.lines.length > 0 ? {
      lineInfo: c.lines.map((l) => ({ insnIdx: l.slot, fileName: CORPUS_SOURCE_FILE, line: l.text, lineNum: l.lineNum, lineCol: 0 })),
    } : {}),
  };
}

/** What tools/kernel/runner.ts loads for a case (load only, log level 1). */
export function kernelSpec(c: CorpusCase, insnBytes: Uint8Array, logLevel = 1): KernelRunSpec {
  const btf = buildBtf(c);
  const maps: KernelMapSpec[] = c.maps.map((m, i) => {
    const ids = btf?.mapTypes.get(i);
    return {
      type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name,
      ...(ids ? { btfKeyTypeId: ids.key, btfValueTypeId: ids.value } : {}),
      ...(m.inner !== undefined ? { innerMap: m.inner } : {}),
    };
  });
  let funcInfo: Uint8Array | undefined;
  if (btf && c.withFuncInfo) {
    funcInfo = new Uint8Array(8 * c.subprogs.length);
    const v = new DataView(funcInfo.buffer);
    c.subprogs.forEach((s, k) => { v.setUint32(8 * k, s.start, true); v.setUint32(8 * k + 4, btf.funcTypes[k] as number, true); });
  }
  let lineInfo: Uint8Array | undefined;
  if (btf && c.lines.length > 0) {
    lineInfo = new Uint8Array(16 * c.lines.length);
    const v = new DataView(lineInfo.buffer);
    c.lines.forEach((l, k) => {
      v.setUint32(16 * k, l.slot, true);
      v.setUint32(16 * k + 4, btf.fileOff, true);
      v.setUint32(16 * k + 8, btf.lineOffs[k] as number, true);
      v.setUint32(16 * k + 12, l.lineNum << 10, true);
    });
  }
  return {
    progType: c.progType, insns: insnBytes, loadOnly: true, logLevel, maps,
    ...(btf ? { btf: btf.bytes } : {}), ...(funcInfo ? { funcInfo } : {}), ...(lineInfo ? { lineInfo } : {}),
    ...(c.license !== 'GPL' ? { license: c.license } : {}),
  };
}

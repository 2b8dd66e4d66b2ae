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
 *   # global: LABEL                     the subprogram at LABEL has global linkage in func_info, prototype int (void)
 *   # global: LABEL(P, ...) [-> R]      ... with that BTF prototype; each parameter P is `int`, `long` (8 bytes),
 *        `enum`, `ctx` (pointer to the program type's context struct, xdp_md / __sk_buff / ...), `ptr:N`
 *        (pointer to an N-byte struct), `ptr:void` or `ptr:int`, followed by any `arg:TAG` decl tags
 *        (`ptr:8 arg:nonnull`); R, the return type, is `int` (default), `void` or `ptr`.
 *   # static: LABEL(P, ...) [-> R]      a static subprogram with that prototype (else int (void))
 *   # func_info: none                   load without BTF func_info even though subprograms exist
 *   # expect: accept | reject [ERRNO] "<substring of the kernel's message>" | map_create ERRNO
 *        reject: the verifier refuses the program (with that errno, when given); map_create: the
 *        kernel refuses to create a declared map before any verification (rules that live there).
 *
 * Instruction operands beyond the assembler's:
 *   lddw %r1, map:N            ld_imm64 of map N (BPF_PSEUDO_MAP_FD)
 *   lddw %r1, mapvalue:N+OFF   address of byte OFF of map N's value (BPF_PSEUDO_MAP_VALUE)
 *   lddw %r1, mapidx:N         BPF_PSEUDO_MAP_IDX, imm N (mapidxvalue:N+OFF: BPF_PSEUDO_MAP_IDX_VALUE);
 *                              both sides load without an fd_array, so these are refused
 *   lddw %r2, func:LABEL       address of the subprogram at LABEL (BPF_PSEUDO_FUNC)
 *   insn  #@ source text       a BTF line_info record for the instruction (file corpus.c, the
 *                              .s line number); a program with any needs one at each subprogram start
 *
 * func_info (BTF) is generated, one FUNC per subprogram (static unless declared global), whenever
 * the program takes a function's address (the kernel requires it for callbacks), declares a global
 * function or a map has BTF; tsbpf's verifier gets the same BTF (VerifierProgram.btf).
 */
import assert from 'node:assert/strict';
import { BtfBuilder } from '../src/btf/test-helpers.ts';
import { findSpecialFields, parseBtf } from '../src/btf/index.ts';
import {
  assemble, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, type Insn,
} from '../src/isa/index.ts';
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

/** A parameter of a subprogram's BTF prototype (`# global: f(ctx, int, ptr:8 arg:nonnull)`). */
export interface CorpusParam {
  /** int, long, enum: scalars; ctx: pointer to the program type's context struct; ptr: pointer to `pointee`. */
  readonly kind: 'int' | 'long' | 'enum' | 'ctx' | 'ptr';
  /** ptr: the size of the struct pointed to, or void / int. */
  readonly pointee?: number | 'void' | 'int';
  /** decl tags on the parameter (`arg:nonnull`). */
  readonly tags: readonly string[];
}

/** A subprogram's BTF prototype. */
export interface CorpusProto {
  readonly params: readonly CorpusParam[];
  readonly ret: 'int' | 'void' | 'ptr';
}

/** A subprogram: its first slot, linkage, and the name and prototype its BTF FUNC gets. */
export interface CorpusSubprog {
  readonly start: number;
  readonly global: boolean;
  /** The FUNC's name: the label for a declared function, `funcN` otherwise (`prog` for the main one). */
  readonly name: string;
  readonly proto: CorpusProto;
}

export interface CorpusCase {
  readonly name: string;
  readonly progType: number;
  readonly license: string;
  readonly maps: readonly CorpusMap[];
  readonly insns: readonly Insn[];
  readonly expect: CorpusExpect;
  /** Subprograms by start slot (0 first). */
  readonly subprogs: readonly CorpusSubprog[];
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

const VOID_PROTO: CorpusProto = { params: [], ret: 'int' };

/** Parses `LABEL` or `LABEL(P, ...) [-> R]` of a `# global:` / `# static:` line. */
function parseFuncDecl(file: string, val: string): { label: string; proto: CorpusProto } {
  const m = /^([A-Za-z_.$][\w.$]*)\s*(?:\(([^)]*)\)\s*(?:->\s*(\w+))?)?$/.exec(val);
  assert.ok(m, `${file}: bad function declaration: ${val}`);
  const ret = m[3] ?? 'int';
  assert.ok(ret === 'int' || ret === 'void' || ret === 'ptr', `${file}: bad return type ${ret}`);
  const list = (m[2] ?? '').trim();
  const params = list === '' || list === 'void' ? [] : list.split(',').map((p): CorpusParam => {
    const [kind = '', ...tags] = p.trim().split(/\s+/);
    assert.ok(tags.every((t) => t.startsWith('arg:')), `${file}: bad tags in ${p}`);
    if (kind === 'int' || kind === 'long' || kind === 'enum' || kind === 'ctx') return { kind, tags };
    const ptr = /^ptr:(void|int|\d+)$/.exec(kind);
    assert.ok(ptr, `${file}: bad parameter ${p}`);
    const what = ptr[1] as string;
    return { kind: 'ptr', pointee: what === 'void' || what === 'int' ? what : Number(what), tags };
  });
  return { label: m[1] as string, proto: params.length === 0 && ret === 'int' ? VOID_PROTO : { params, ret } };
}

type Ref = { kind: 'map'; map: number } | { kind: 'mapidx'; map: number } | { kind: 'mapvalue'; map: number; off: number }
  | { kind: 'mapidxvalue'; map: number; off: number } | { kind: 'func'; label: string };

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
  const declared = new Map<string, { global: boolean; proto: CorpusProto }>();
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
    const h = /^#\s*(prog|map|expect|license|global|static|func_info):\s*(.*)$/.exec(line.trim());
    if (h) {
      const key = h[1] as string;
      const val = (h[2] ?? '').trim();
      if (key === 'prog') progType = PROG_TYPES[val] ?? -1;
      else if (key === 'license') license = val;
      else if (key === 'global' || key === 'static') {
        const d = parseFuncDecl(name, val);
        declared.set(d.label, { global: key === 'global', proto: d.proto });
      }
      else if (key === 'func_info') funcInfoNone = val === 'none';
      else if (key === 'expect') expect = parseExpect(name, val);
      else maps.push(parseMap(name, maps.length, val));
      continue;
    }
    const label = /^\s*([A-Za-z_.$][\w.$]*):/.exec(line);
    if (label) labels.set(label[1] as string, slot);
    const call = /^\s*call\s+local\s+([A-Za-z_.$][\w.$]*)\s*$/.exec(line);
    if (call) localCalls.push({ slot, label: call[1] as string });
    const patched = line.replace(/\b(mapidxvalue|mapidx|mapvalue|map|func):([\w.$]+)(?:\+(\d+))?/, (_, kind: string, what: string, off?: string) => {
      if (kind === 'func') refs.set(slot, { kind: 'func', label: what });
      else if (kind === 'map' || kind === 'mapidx') refs.set(slot, { kind, map: Number(what) });
      else refs.set(slot, { kind: kind === 'mapvalue' ? 'mapvalue' : 'mapidxvalue', map: Number(what), off: Number(off ?? 0) });
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
    if (ref.kind === 'map' || ref.kind === 'mapidx') {
      if (ref.kind === 'map') assert.ok(ref.map < maps.length, `${name}: no map ${ref.map}`);
      const src = ref.kind === 'map' ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_IDX;
      return { ...i, src, imm: ref.map, imm64: BigInt(ref.map), imm2: 0 };
    }
    if (ref.kind === 'mapvalue' || ref.kind === 'mapidxvalue') {
      if (ref.kind === 'mapvalue') assert.ok(ref.map < maps.length, `${name}: no map ${ref.map}`);
      const src = ref.kind === 'mapvalue' ? BPF_PSEUDO_MAP_VALUE : BPF_PSEUDO_MAP_IDX_VALUE;
      return { ...i, src, imm: ref.map, imm64: BigInt(ref.map) | (BigInt(ref.off) << 32n), imm2: ref.off };
    }
    const target = labels.get(ref.label);
    assert.ok(target !== undefined, `${name}: no label ${ref.label}`);
    const rel = target - i.idx - 1;
    return { ...i, src: BPF_PSEUDO_FUNC, imm: rel, imm64: BigInt.asUintN(32, BigInt(rel)), imm2: 0 };
  });
  const starts = new Set<number>([0]);
  const declStarts = new Map<number, { label: string; global: boolean; proto: CorpusProto }>();
  for (const c of localCalls) { const t = labels.get(c.label); if (t !== undefined) starts.add(t); }
  for (const r of refs.values()) if (r.kind === 'func') starts.add(labels.get(r.label) ?? 0);
  for (const [label, d] of declared) {
    const t = labels.get(label);
    assert.ok(t !== undefined, `${name}: "# global/static: ${label}" names no label`);
    declStarts.set(t, { label, ...d });
  }
  const subprogs = [...starts].sort((a, b) => a - b).map((start, k): CorpusSubprog => {
    const d = declStarts.get(start);
    return { start, global: d?.global ?? false, name: k === 0 ? 'prog' : d?.label ?? `func${k}`, proto: d?.proto ?? VOID_PROTO };
  });
  const globals = [...declared.values()].filter((d) => d.global);
  const takesAddress = [...refs.values()].some((r) => r.kind === 'func');
  const withFuncInfo = !funcInfoNone && (takesAddress || globals.length > 0 || maps.some((m) => m.btf) || lines.length > 0);
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

/** The context struct (name, size) a `ctx` parameter points to, by program type. */
const CTX_STRUCTS: Readonly<Record<number, readonly [string, number]>> = {
  [B.BPF_PROG_TYPE_XDP]: ['xdp_md', 24], [B.BPF_PROG_TYPE_SOCKET_FILTER]: ['__sk_buff', 192],
  [B.BPF_PROG_TYPE_SCHED_CLS]: ['__sk_buff', 192], [B.BPF_PROG_TYPE_SCHED_ACT]: ['__sk_buff', 192],
  [B.BPF_PROG_TYPE_KPROBE]: ['pt_regs', 168], [B.BPF_PROG_TYPE_PERF_EVENT]: ['bpf_perf_event_data', 184],
  [B.BPF_PROG_TYPE_RAW_TRACEPOINT]: ['bpf_raw_tracepoint_args', 0],
};

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
  // Prototypes other than int (void), with the types their parameters need.
  const memo = new Map<string, number>();
  const once = (key: string, fn: () => void): number => {
    const id = memo.get(key) ?? add(fn);
    memo.set(key, id);
    return id;
  };
  const typeOf = (p: CorpusParam): number => {
    switch (p.kind) {
      case 'int': return intId;
      case 'long': return once('long', () => b.int('long', 8, true));
      case 'enum': return once('enum', () => b.type('e', 6, 1, 4, [b.str('E0'), 0]));
      case 'ctx': {
        const ctx = CTX_STRUCTS[c.progType];
        assert.ok(ctx, `${c.name}: no context struct for this program type (use ptr:void arg:ctx)`);
        const st = once(`struct ${ctx[0]}`, () => b.struct(ctx[0], ctx[1], []));
        return once(`ptr ${st}`, () => b.type('', 2, 0, st));
      }
      case 'ptr': {
        const to = p.pointee === 'void' ? 0 : p.pointee === 'int' ? intId
          : once(`mem${p.pointee ?? 0}`, () => b.struct(`mem${p.pointee ?? 0}`, Number(p.pointee ?? 0), []));
        return once(`ptr ${to}`, () => b.type('', 2, 0, to));
      }
    }
  };
  const protoIds = c.subprogs.map((s) => {
    if (s.proto === VOID_PROTO) return protoId;
    const params = s.proto.params.map(typeOf);
    const ret = s.proto.ret === 'int' ? intId : s.proto.ret === 'void' ? 0 : once(`ptr ${intId}`, () => b.type('', 2, 0, intId));
    return add(() => b.type('', 13, params.length, ret, params.flatMap((t, i) => [b.str(`a${i}`), t])));
  });
  const funcTypes = c.subprogs.map((s, k) => add(() => b.type(s.name, 12, s.global || k === 0 ? 1 : 0, protoIds[k] as number)));
  c.subprogs.forEach((s, k) => s.proto.params.forEach((p, i) => {
    for (const tag of p.tags) add(() => b.type(tag, 17, 0, funcTypes[k] as number, [i]));
  }));
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
    name: c.name, insns: c.insns, progType: c.progType, license: c.license, maps, ...(parsed ? { btf: parsed } : {}),
    // tools/kernel/bpf-run.c loads with the map fds in the instructions and no fd_array.
    fdArray: false,
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

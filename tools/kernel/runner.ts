/**
 * @module tools/kernel/runner
 * Runs raw BPF instruction programs on the real Linux kernel through tools/kernel/bpf-run.c, the
 * reference side of differential tests and benchmarks. Node only (child_process, fs); not part of
 * the library. The C tool is compiled on first use with the system C compiler (`cc -O2`) into
 * `.cache/bpf-run` at the repository root, and rebuilt when its source is newer.
 * Needs root (or CAP_BPF + CAP_SYS_ADMIN) and a kernel with bpf(2); see kernelAvailable().
 * Set TSBPF_NO_KERNEL=1 to pretend the kernel is unavailable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BPF_F_SLEEPABLE, BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_XDP } from '../../src/uapi/bpf.ts';
import { EINVAL, ENOSYS } from '../../src/uapi/errno.ts';
import { BpfError, InternalError } from '../../src/util/errors.ts';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'bpf-run.c');
/** Where the compiled tool lives: `<repo>/.cache/bpf-run` (gitignored). */
export const BPF_RUN_BINARY = join(here, '..', '..', '.cache', 'bpf-run');

/** A map the kernel side creates before loading; map i is what `ld_imm64 src=1 imm=i` refers to. */
export interface KernelMapSpec {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  /** Elements written with BPF_MAP_UPDATE_ELEM before the run (per-CPU maps: every CPU's value). */
  readonly entries?: readonly KernelMapEntry[];
  /** map_name (at most 15 bytes); verifier logs print it as `map=NAME`. */
  readonly name?: string;
  /** Key and value type ids in KernelRunSpec.btf (btf_key_type_id, btf_value_type_id). */
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  /** Map-in-map: index of an earlier map of the spec used as the inner map template (inner_map_fd). */
  readonly innerMap?: number;
}

/** One initial map element; `key` is empty for queues and stacks. */
export interface KernelMapEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** BPF_ANY (default), BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK. */
  readonly flags?: number;
}

/** What to load and how to test-run it, in the fields of BPF_PROG_LOAD and BPF_PROG_TEST_RUN. */
export interface KernelRunSpec {
  readonly progType: number;
  /** Raw little-endian instructions, 8 bytes a slot. */
  readonly insns: Uint8Array;
  readonly expectedAttachType?: number;
  /** prog_flags; defaults to BPF_F_SLEEPABLE for syscall programs (the kernel requires it), else 0. */
  readonly progFlags?: number;
  readonly data?: Uint8Array;
  readonly ctx?: Uint8Array;
  /** Omitted: the field stays 0 (the kernel runs once). Syscall programs refuse any repeat with EINVAL. */
  readonly repeat?: number;
  readonly maps?: readonly KernelMapSpec[];
  /** Return every map's contents after the run. */
  readonly dumpMaps?: boolean;
  /** Test-run flags (BPF_F_TEST_RUN_ON_CPU, ...) and cpu. */
  readonly testFlags?: number;
  readonly cpu?: number;
  /** Output buffer sizes; default data size + 65536 and ctx size. */
  readonly dataOutSize?: number;
  readonly ctxOutSize?: number;
  /** Verifier log level of the load; when non-zero the log is returned on success too. */
  readonly logLevel?: number;
  /** Load only, do not test-run (verifier comparisons). */
  readonly loadOnly?: boolean;
  /** Raw BTF loaded with BPF_BTF_LOAD: the types of map keys and values and of func_info/line_info. */
  readonly btf?: Uint8Array;
  /** struct bpf_func_info records (8 bytes each), against `btf`. */
  readonly funcInfo?: Uint8Array;
  /** struct bpf_line_info records (16 bytes each), against `btf`. */
  readonly lineInfo?: Uint8Array;
  /** The program's license; default "GPL". One word (no spaces). */
  readonly license?: string;
}

/** The stage of the kernel side that failed. */
export type KernelStage = 'btf_load' | 'map_create' | 'map_update' | 'load' | 'test_run' | 'map_dump';

/** A map dump: `[keyHex, valueHex]` pairs sorted by key hex. */
export type KernelMapDump = readonly (readonly [key: string, value: string])[];

/** The kernel's answer: a test-run result, a successful load-only, or the errno of the failed stage. */
export type KernelResult =
  | {
      readonly ok: true;
      /** test.retval: the program's return value truncated to u32 (0 for loadOnly). */
      readonly retval: number;
      /** The kernel's average ns per run (its `duration`). */
      readonly durationNs: number;
      readonly dataOut: Uint8Array;
      /** ctx_out; for syscall programs, the context the program wrote back into ctx_in. */
      readonly ctxOut: Uint8Array;
      /** The verifier log, when logLevel was set. */
      readonly log?: string;
      readonly maps?: readonly KernelMapDump[];
    }
  | {
      readonly ok: false;
      readonly stage: KernelStage;
      /** Positive errno, as in userspace. */
      readonly errno: number;
      /** The verifier log (level 1) of a failed load. */
      readonly log?: string;
      /** The map index of a map stage. */
      readonly map?: number;
      readonly message: string;
    };

/** Whether programs can run on this machine's kernel, with the reason when not. */
export type KernelAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Compiles bpf-run.c into BPF_RUN_BINARY unless an up-to-date binary exists.
 * @throws {BpfError} ENOSYS when the C compiler is missing or the build fails (message has its output).
 */
export function buildBpfRun(): string {
  if (existsSync(BPF_RUN_BINARY) && statSync(BPF_RUN_BINARY).mtimeMs >= statSync(source).mtimeMs) return BPF_RUN_BINARY;
  mkdirSync(dirname(BPF_RUN_BINARY), { recursive: true });
  // Build under a private name and rename, so parallel test processes never run a half-written binary.
  const tmp = `${BPF_RUN_BINARY}.${process.pid}.tmp`;
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', tmp, source], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    rmSync(tmp, { force: true });
    const why = r.error !== undefined ? r.error.message : `${r.stderr}${r.stdout}`.trim();
    throw new BpfError(ENOSYS, `cannot build ${source} with cc: ${why}`);
  }
  renameSync(tmp, BPF_RUN_BINARY);
  return BPF_RUN_BINARY;
}

let availability: KernelAvailability | undefined;

/**
 * Checks, once per process, that this is Linux, we are root, the tool builds, and a trivial XDP
 * program loads and test-runs.
 */
export function kernelAvailable(): KernelAvailability {
  availability ??= probe();
  return availability;
}

function probe(): KernelAvailability {
  if (process.env['TSBPF_NO_KERNEL'] === '1') return { ok: false, reason: 'TSBPF_NO_KERNEL=1' };
  if (process.platform !== 'linux') return { ok: false, reason: `platform is ${process.platform}, not linux` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not running as root' };
  try {
    buildBpfRun();
    // r0 = XDP_PASS; exit
    const insns = Uint8Array.from([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    const r = runOnKernel({ progType: BPF_PROG_TYPE_XDP, insns, data: new Uint8Array(64) });
    if (!r.ok) return { ok: false, reason: `trivial XDP program failed at ${r.stage}: ${r.message}` };
    if (r.retval !== 2) return { ok: false, reason: `trivial XDP program returned ${r.retval}, expected 2` };
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Loads `spec.insns` into the kernel with the maps of `spec.maps`, test-runs it and returns what
 * the kernel reported. Kernel refusals are results (`ok: false` with the stage and errno), not throws.
 * @throws {BpfError} EINVAL when the spec is malformed (sizes, a bad map reference); ENOSYS when the tool cannot be built.
 * @throws {InternalError} when the tool's output cannot be understood.
 */
export function runOnKernel(spec: KernelRunSpec): KernelResult {
  const binary = buildBpfRun();
  const r = spawnSync(binary, [], { input: specText(spec), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error !== undefined) throw new BpfError(ENOSYS, `cannot run ${binary}: ${r.error.message}`);
  const line = r.stdout.trim();
  let out: unknown;
  try {
    out = JSON.parse(line);
  } catch {
    throw new InternalError(`bpf-run printed no JSON (status ${r.status}): ${line.slice(0, 200)} ${r.stderr}`);
  }
  return toResult(out, r.stderr);
}

function u32(value: number | undefined, what: string, dflt: number): number {
  const v = value ?? dflt;
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new BpfError(EINVAL, `${what} must be a u32, got ${v}`);
  return v;
}

function hex(b: Uint8Array): string {
  return b.length === 0 ? '-' : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Renders the spec in bpf-run's line format (documented at the top of bpf-run.c). */
function specText(spec: KernelRunSpec): string {
  if (spec.insns.length === 0 || spec.insns.length % 8 !== 0) {
    throw new BpfError(EINVAL, `insns must be a non-empty multiple of 8 bytes, got ${spec.insns.length}`);
  }
  const progType = u32(spec.progType, 'progType', 0);
  const progFlags = u32(spec.progFlags, 'progFlags', progType === BPF_PROG_TYPE_SYSCALL ? BPF_F_SLEEPABLE : 0);
  const lines = [
    `prog ${progType} ${u32(spec.expectedAttachType, 'expectedAttachType', 0)} ${progFlags}`,
    `insns ${hex(spec.insns)}`,
  ];
  if (spec.btf !== undefined) lines.push(`btf ${hex(spec.btf)}`);
  if (spec.funcInfo !== undefined) lines.push(`func_info ${hex(spec.funcInfo)}`);
  if (spec.lineInfo !== undefined) lines.push(`line_info ${hex(spec.lineInfo)}`);
  if (spec.license !== undefined) {
    if (!/^\S{1,127}$/.test(spec.license)) throw new BpfError(EINVAL, `license must be one word, got "${spec.license}"`);
    lines.push(`license ${spec.license}`);
  }
  (spec.maps ?? []).forEach((m, i) => {
    lines.push(
      `map ${u32(m.type, 'map type', 0)} ${u32(m.keySize, 'keySize', 0)} ${u32(m.valueSize, 'valueSize', 0)} ` +
        `${u32(m.maxEntries, 'maxEntries', 0)} ${u32(m.flags, 'map flags', 0)}`,
    );
    if (m.name !== undefined) {
      if (!/^[\w.]{1,15}$/.test(m.name)) throw new BpfError(EINVAL, `map ${i}: name must be 1-15 of [A-Za-z0-9_.], got "${m.name}"`);
      lines.push(`map_name ${m.name}`);
    }
    if (m.btfKeyTypeId !== undefined || m.btfValueTypeId !== undefined) {
      if (spec.btf === undefined) throw new BpfError(EINVAL, `map ${i}: BTF type ids need spec.btf`);
      lines.push(`map_btf ${u32(m.btfKeyTypeId, 'btfKeyTypeId', 0)} ${u32(m.btfValueTypeId, 'btfValueTypeId', 0)}`);
    }
    if (m.innerMap !== undefined) {
      if (!(m.innerMap < i)) throw new BpfError(EINVAL, `map ${i}: innerMap must be an earlier map, got ${m.innerMap}`);
      lines.push(`map_inner ${u32(m.innerMap, 'innerMap', 0)}`);
    }
    for (const e of m.entries ?? []) {
      if (e.key.length !== m.keySize) throw new BpfError(EINVAL, `map ${i}: key of ${e.key.length} bytes, keySize is ${m.keySize}`);
      lines.push(`elem ${i} ${hex(e.key)} ${hex(e.value)} ${u32(e.flags, 'update flags', 0)}`);
    }
  });
  if (spec.data !== undefined && spec.data.length > 0) lines.push(`data ${hex(spec.data)}`);
  if (spec.ctx !== undefined && spec.ctx.length > 0) lines.push(`ctx ${hex(spec.ctx)}`);
  if (spec.repeat !== undefined) lines.push(`repeat ${u32(spec.repeat, 'repeat', 0)}`);
  if (spec.testFlags !== undefined) lines.push(`flags ${u32(spec.testFlags, 'testFlags', 0)}`);
  if (spec.cpu !== undefined) lines.push(`cpu ${u32(spec.cpu, 'cpu', 0)}`);
  if (spec.dataOutSize !== undefined) lines.push(`data_out_size ${u32(spec.dataOutSize, 'dataOutSize', 0)}`);
  if (spec.ctxOutSize !== undefined) lines.push(`ctx_out_size ${u32(spec.ctxOutSize, 'ctxOutSize', 0)}`);
  if (spec.logLevel !== undefined) lines.push(`log_level ${u32(spec.logLevel, 'logLevel', 0)}`);
  if (spec.dumpMaps === true) lines.push('dump');
  if (spec.loadOnly === true) lines.push('no_run');
  return lines.join('\n') + '\n';
}

function field<T>(o: Record<string, unknown>, key: string, check: (v: unknown) => v is T): T {
  const v = o[key];
  if (!check(v)) throw new InternalError(`bpf-run output has a bad "${key}": ${JSON.stringify(o).slice(0, 200)}`);
  return v;
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isDump(v: unknown): v is [string, string][][] {
  return Array.isArray(v) && v.every((m) => Array.isArray(m) && m.every((e) => Array.isArray(e) && e.length === 2 && e.every(isStr)));
}

const stages: readonly string[] = ['btf_load', 'map_create', 'map_update', 'load', 'test_run', 'map_dump'];

function toResult(out: unknown, stderr: string): KernelResult {
  if (!isObj(out)) throw new InternalError(`bpf-run printed a non-object: ${JSON.stringify(out)}`);
  if ('stage' in out) {
    const stage = field(out, 'stage', isStr);
    const message = field(out, 'message', isStr);
    // A spec error means this module rendered something bpf-run does not accept, or a bad map index.
    if (stage === 'spec') throw new BpfError(EINVAL, `bpf-run rejected the spec: ${message}`);
    if (!stages.includes(stage)) throw new InternalError(`bpf-run reported unknown stage ${stage} ${stderr}`);
    return {
      ok: false,
      stage: stage as KernelStage,
      errno: field(out, 'errno', isNum),
      message,
      ...(isStr(out['log']) ? { log: out['log'] } : {}),
      ...(isNum(out['map']) ? { map: out['map'] } : {}),
    };
  }
  const loaded = out['loaded'] === true;
  const maps = out['maps'];
  if (maps !== undefined && !isDump(maps)) throw new InternalError('bpf-run printed malformed "maps"');
  return {
    ok: true,
    retval: loaded ? 0 : field(out, 'retval', isNum),
    durationNs: loaded ? 0 : field(out, 'duration_ns', isNum),
    dataOut: loaded ? new Uint8Array(0) : Uint8Array.from(Buffer.from(field(out, 'data_out', isStr), 'hex')),
    ctxOut: loaded ? new Uint8Array(0) : Uint8Array.from(Buffer.from(field(out, 'ctx_out', isStr), 'hex')),
    ...(isStr(out['log']) ? { log: out['log'] } : {}),
    ...(maps !== undefined ? { maps: maps.map((m) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) } : {}),
  };
}

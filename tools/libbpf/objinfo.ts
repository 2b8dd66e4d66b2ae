/**
 * Node wrapper for tools/libbpf/objinfo.c: builds it with `cc ... -lbpf -lelf -lz` into .cache/
 * (once per source change) when libbpf-dev is installed, runs it on an object and parses its
 * JSON. When the tool cannot be built or the kernel refuses bpf(), `available` says why, so tests
 * can skip visibly. Test-only (Node).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const SOURCE = join(import.meta.dirname, 'objinfo.c');

/** One program as libbpf reports it. */
export interface LibbpfProgram {
  readonly name: string;
  readonly section: string;
  readonly type: number;
  readonly expectedAttachType: number;
  readonly flags: number;
  readonly autoload: boolean;
  /** bpf_program__insn_cnt(): after load, the linked count with subprograms appended. */
  readonly insnCnt: number;
}

/** One map as libbpf (open) or the kernel (load, bpf_obj_get_info_by_fd) reports it. */
export interface LibbpfMap {
  readonly name: string;
  /** The kernel's name (after load only). */
  readonly kernelName?: string;
  readonly pinning: number;
  readonly numaNode: number;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  /** map_extra, in decimal (a u64: bloom filter hash count, arena address). */
  readonly mapExtra: string;
}

/** What objinfo printed: the object, or the stage that failed with errno and libbpf's last warning. */
export type ObjInfo =
  | { readonly stage: 'open' | 'load'; readonly programs: LibbpfProgram[]; readonly maps: LibbpfMap[]; readonly errno?: undefined }
  | { readonly stage: 'open' | 'load'; readonly errno: number; readonly error: string };

/** The built tool, or why there is none. */
export type ObjInfoTool = { readonly available: true; readonly path: string } | { readonly available: false; readonly reason: string };

let cached: ObjInfoTool | undefined;

/** Builds objinfo (cached in .cache/ by source hash). Never throws. */
export function objinfoTool(): ObjInfoTool {
  if (cached !== undefined) return cached;
  cached = build();
  return cached;
}

function build(): ObjInfoTool {
  if (process.platform !== 'linux') return { available: false, reason: `not Linux (${process.platform})` };
  if (!existsSync('/usr/include/bpf/libbpf.h')) return { available: false, reason: 'libbpf-dev is not installed (/usr/include/bpf/libbpf.h missing)' };
  const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12);
  const dir = join(ROOT, '.cache');
  const out = join(dir, `objinfo-${hash}`);
  if (existsSync(out)) return { available: true, path: out };
  mkdirSync(dir, { recursive: true });
  const cc = spawnSync('cc', ['-O1', '-Wall', '-o', out, SOURCE, '-lbpf', '-lelf', '-lz'], { encoding: 'utf8' });
  if (cc.error !== undefined) return { available: false, reason: `cc could not run: ${cc.error.message}` };
  if (cc.status !== 0) return { available: false, reason: `building objinfo failed: ${cc.stderr.trim().split('\n').slice(-3).join(' ')}` };
  return { available: true, path: out };
}

/**
 * Runs objinfo on `object`: `load` opens and loads into the running kernel; `open` only opens.
 * @returns the parsed report, or a string saying why the tool could not run at all.
 */
export function runObjinfo(object: string, mode: 'open' | 'load'): ObjInfo | string {
  const tool = objinfoTool();
  if (!tool.available) return tool.reason;
  const r = spawnSync(tool.path, mode === 'open' ? ['--open-only', object] : [object], { encoding: 'utf8' });
  if (r.error !== undefined) return `objinfo could not run: ${r.error.message}`;
  const line = r.stdout.trim();
  if (line === '') return `objinfo printed nothing (exit ${r.status}): ${r.stderr.trim()}`;
  return JSON.parse(line) as ObjInfo;
}

/** True when the kernel lets this process load BPF programs (checked by loading a trivial object). */
export function kernelAvailable(probeObject: string): true | string {
  const info = runObjinfo(probeObject, 'load');
  if (typeof info === 'string') return info;
  if (info.errno !== undefined) return `loading ${probeObject} failed: errno ${info.errno}: ${info.error.trim()}`;
  return true;
}

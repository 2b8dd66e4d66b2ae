/**
 * Node wrapper for tools/libbpf/verify-log.c: the kernel's verifier verdict, log and `processed`
 * count for each program of an object, as libbpf loads it. Builds the tool with
 * `cc ... -lbpf -lelf -lz` into .cache/ (once per source change). When it cannot be built or run,
 * the answer is a string saying why, so tests and the bench can skip visibly (TSBPF_NO_KERNEL=1
 * pretends the kernel is unavailable, as for tools/kernel). Test and bench only (Node).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const SOURCE = join(import.meta.dirname, 'verify-log.c');

/** One program of the object as the kernel judged it. */
export interface KernelProgramVerdict {
  readonly name: string;
  /** libbpf's autoload flag: programs with autoload off are never given to the kernel. */
  readonly autoload: boolean;
  /** The kernel accepted it (it has an fd). */
  readonly loaded: boolean;
  /** bpf_prog_info.verified_insns: the `processed` count (0 when not loaded). */
  readonly verifiedInsns: number;
  /** Wall time of the whole bpf_object__load, ns (maps and BTF included). */
  readonly loadNs: number;
  /** The verifier log at the requested level ('' for programs never tried). */
  readonly log: string;
}

/** What the kernel said about an object. */
export interface KernelVerdict {
  /** 0 when bpf_object__load succeeded, else the positive errno. */
  readonly errno: number;
  /** False when libbpf could not even open the object. */
  readonly open: boolean;
  readonly programs: readonly KernelProgramVerdict[];
}

let cached: { path: string } | string | undefined;

function tool(): { path: string } | string {
  if (cached !== undefined) return cached;
  cached = build();
  return cached;
}

function build(): { path: string } | string {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (!existsSync('/usr/include/bpf/libbpf.h')) return 'libbpf-dev is not installed (/usr/include/bpf/libbpf.h missing)';
  const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12);
  const dir = join(ROOT, '.cache');
  const out = join(dir, `verify-log-${hash}`);
  if (existsSync(out)) return { path: out };
  mkdirSync(dir, { recursive: true });
  const cc = spawnSync('cc', ['-O1', '-Wall', '-o', out, SOURCE, '-lbpf', '-lelf', '-lz'], { encoding: 'utf8' });
  if (cc.error !== undefined) return `cc could not run: ${cc.error.message}`;
  if (cc.status !== 0) return `building verify-log failed: ${cc.stderr.trim().split('\n').slice(-3).join(' ')}`;
  return { path: out };
}

/**
 * Loads `object` into the running kernel with libbpf, every program at `logLevel` (1, 2, or 4 for
 * BPF_LOG_STATS), and reports each program's verdict. Never throws.
 * @returns the verdict, or a string saying why the kernel could not be asked.
 */
export function kernelVerdict(object: string, logLevel = 1): KernelVerdict | string {
  if (process.env.TSBPF_NO_KERNEL === '1') return 'TSBPF_NO_KERNEL=1 is set';
  const t = tool();
  if (typeof t === 'string') return t;
  const r = spawnSync(t.path, ['--log-level', String(logLevel), object], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error !== undefined) return `verify-log could not run: ${r.error.message}`;
  const line = r.stdout.trim();
  if (line === '') return `verify-log printed nothing (exit ${r.status}): ${r.stderr.trim()}`;
  return JSON.parse(line) as KernelVerdict;
}

/**
 * Whether the kernel verifies programs for this process: loads a trivial object and checks it was
 * accepted. @returns true, or why not.
 */
export function kernelVerifierAvailable(probeObject: string): true | string {
  const v = kernelVerdict(probeObject);
  if (typeof v === 'string') return v;
  if (v.errno !== 0) return `loading ${probeObject} failed with errno ${v.errno} (bpf() not permitted?)`;
  return true;
}

/** The `verification time N usec` of a BPF_LOG_STATS log, in ns, or undefined. */
export function logVerificationNs(log: string): number | undefined {
  const m = /verification time (\d+) usec/.exec(log);
  return m === null ? undefined : Number(m[1]) * 1000;
}

/** The `processed N insns` of a log, or undefined. */
export function logProcessed(log: string): number | undefined {
  const m = /processed (\d+) insns/.exec(log);
  return m === null ? undefined : Number(m[1]);
}

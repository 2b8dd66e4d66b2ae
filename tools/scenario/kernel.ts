/**
 * @module tools/scenario/kernel
 * Runs scenario files (../shared/spec/scenario.md) on the running Linux kernel through
 * tools/scenario/kernel-scenario.c (libbpf). The C tool is compiled on first use with the system C
 * compiler into `.cache/kernel-scenario` at the repository root, and rebuilt when its source is
 * newer. Node only; not part of the library. Set TSBPF_NO_KERNEL=1 to pretend there is no kernel.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resultProblems, type ScenarioResult } from './format.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(here, 'kernel-scenario.c');
/** Where the compiled tool lives (gitignored). */
export const KERNEL_SCENARIO_BINARY = join(here, '..', '..', '.cache', 'kernel-scenario');

/** Whether scenarios can run on this machine's kernel, and if not, why. */
export type KernelScenarioAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

let availability: KernelScenarioAvailability | undefined;

/** Compiles the tool when missing or older than its source. @returns the binary's path. @throws {Error} when cc fails. */
export function buildKernelScenario(): string {
  const bin = KERNEL_SCENARIO_BINARY;
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(SOURCE).mtimeMs) return bin;
  mkdirSync(dirname(bin), { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', tmp, SOURCE, '-lbpf', '-lelf', '-lz'], { encoding: 'utf8' });
  if (cc.error !== undefined) throw new Error(`cc could not run: ${cc.error.message}`);
  if (cc.status !== 0) throw new Error(`building kernel-scenario failed:\n${cc.stderr}`);
  renameSync(tmp, bin);
  return bin;
}

/**
 * Whether the kernel side can run: Linux, libbpf headers, root, the tool builds, and bpf() loads and
 * test-runs a program (a scenario on testdata/scenarios/probe_xdp.bpf.o).
 */
export function kernelScenarioAvailable(): KernelScenarioAvailability {
  availability ??= probe();
  return availability;
}

function probe(): KernelScenarioAvailability {
  if (process.env['TSBPF_NO_KERNEL'] === '1') return { ok: false, reason: 'TSBPF_NO_KERNEL=1' };
  if (process.platform !== 'linux') return { ok: false, reason: `platform is ${process.platform}, not linux` };
  if (!existsSync('/usr/include/bpf/libbpf.h')) return { ok: false, reason: 'libbpf-dev is not installed (/usr/include/bpf/libbpf.h missing)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not running as root' };
  try {
    const r = runScenarioOnKernel(join(here, '..', '..', 'testdata', 'scenarios', 'probe.json'));
    if (!('steps' in r)) return { ok: false, reason: `the probe object did not load: errno ${r.load.errno}` };
    const first = r.steps[0];
    if (first === undefined || !('retval' in first) || first.retval !== 2) return { ok: false, reason: `the probe XDP program gave ${JSON.stringify(first)}, expected retval 2` };
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Runs one scenario file on the kernel.
 * @returns the parsed result line.
 * @throws {Error} when the scenario is malformed or its object cannot be opened (the tool's stderr
 * is in the message), or when the tool's output is not a well-formed result.
 */
export function runScenarioOnKernel(file: string): ScenarioResult {
  const bin = buildKernelScenario();
  const r = spawnSync(bin, [file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error !== undefined) throw new Error(`kernel-scenario could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`kernel-scenario ${file} exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  if (lines.length !== 1) throw new Error(`kernel-scenario printed ${lines.length} lines`);
  const parsed: unknown = JSON.parse(lines[0] as string);
  const problems = resultProblems(parsed);
  if (problems.length > 0) throw new Error(`kernel-scenario printed a malformed result: ${problems.join('; ')}`);
  return parsed as ScenarioResult;
}

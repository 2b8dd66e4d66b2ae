/**
 * `tsbpf conformance [DIR...]`: runs bpf_conformance `.data` vectors and prints one line per
 * failure, then `N passed, M failed`. Vectors in a directory named `negative` must NOT pass (the
 * program is refused, or does not produce the result the file claims).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Command } from '../io.ts';
import { parseVector, type ConformanceVector } from '../../conformance/vector.ts';
import { runVector, type VectorOutcome } from '../../conformance/run.ts';
import { ENGINES } from '../../conformance/engines.ts';
import type { ConformanceEngine } from '../../conformance/run.ts';
import { isBpfError } from '../../util/errors.ts';

/** The vectors bundled with tsbpf (testdata/conformance). */
export const BUNDLED_VECTORS = fileURLToPath(new URL('../../../testdata/conformance', import.meta.url));

function dataFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.data')).sort().map((f) => join(dir, f));
}

/** Directories to run for a path: the path itself, or its tests/ and negative/ if it has them. */
function expand(path: string): string[] {
  const subdirs = ['tests', 'negative'].map((d) => join(path, d)).filter((d) => {
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  });
  return subdirs.length > 0 ? subdirs : [path];
}

function runFile(file: string, negative: boolean, engine: ConformanceEngine): VectorOutcome {
  const name = basename(file);
  let vector: ConformanceVector;
  try {
    vector = parseVector(name, readFileSync(file, 'utf8'));
  } catch (e) {
    if (!isBpfError(e)) throw e;
    // A file that is not a vector at all is refused as a whole.
    return { name, ok: negative, refused: true, detail: `malformed vector: ${(e as Error).message}` };
  }
  const outcome = runVector(vector, engine);
  if (!negative) return outcome;
  // A negative vector passes when tsbpf refuses it, or runs it without reproducing the result it
  // claims; running a program the file says must be refused is a failure.
  const rejected = outcome.refused || (vector.error === undefined && !outcome.ok);
  return rejected
    ? { ...outcome, ok: true }
    : { ...outcome, ok: false, detail: `negative vector was accepted (${outcome.detail})` };
}

export const conformanceCommand: Command = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { engine: { type: 'string', default: 'interpreter' }, verbose: { type: 'boolean', short: 'v', default: false } },
    });
  } catch (e) {
    io.stderr(`tsbpf conformance: ${(e as Error).message}\n`);
    return 2;
  }
  const makeEngine = ENGINES[parsed.values.engine];
  if (makeEngine === undefined) {
    io.stderr(`tsbpf conformance: unknown engine '${parsed.values.engine}' (have: ${Object.keys(ENGINES).join(', ')})\n`);
    return 2;
  }
  const engine = makeEngine();
  const roots = parsed.positionals.length > 0 ? parsed.positionals : [BUNDLED_VECTORS];
  let passed = 0;
  let failed = 0;
  for (const root of roots) {
    let dirs: string[];
    let files: string[][];
    try {
      dirs = expand(root);
      files = dirs.map(dataFiles);
    } catch (e) {
      io.stderr(`tsbpf conformance: cannot read ${root}: ${(e as Error).message}\n`);
      return 2;
    }
    dirs.forEach((dir, i) => {
      const negative = basename(dir) === 'negative';
      for (const file of files[i]!) {
        const outcome = runFile(file, negative, engine);
        if (outcome.ok) passed++;
        else failed++;
        if (!outcome.ok) io.stdout(`FAIL ${file}: ${outcome.detail}\n`);
        else if (parsed.values.verbose) io.stdout(`ok   ${file}: ${outcome.detail}\n`);
      }
    });
  }
  io.stdout(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
};

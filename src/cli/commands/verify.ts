/**
 * `tsbpf verify OBJ [--prog NAME] [--log-level N]`: runs the verifier on every program of an
 * object (or the one named) against its maps, as BPF_PROG_LOAD would, without running anything.
 * One line per program on stdout (`NAME: ok, N insns processed` or `NAME: rejected (ERRNO): ...`),
 * followed by the verifier log of a rejected program (and of every program at --log-level 1 or
 * 2, in the kernel's format).
 * Exit 0 when every program verifies; 1 when one is rejected, or the object cannot be loaded
 * (maps or externs the load refuses); 2 for usage errors, an unknown program and an object that
 * cannot be read or opened.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { objectNameOf } from '../../loader/data.ts';
import { BpfObject, type ProgramVerdict } from '../../runtime/object.ts';
import { isBpfError } from '../../util/errors.ts';
import type { Command, Io } from '../io.ts';

const USAGE = 'usage: tsbpf verify OBJ [--prog NAME] [--log-level 0|1|2]\n';

function report(v: ProgramVerdict, logLevel: number, io: Io): void {
  if (v.error === undefined) {
    io.stdout(`${v.name}: ok, ${v.result.processed} insns processed\n`);
    if (logLevel > 0) io.stdout(v.result.log.map((l) => `${l}\n`).join(''));
    return;
  }
  io.stdout(`${v.name}: rejected (${v.error.code}): ${v.error.message}\n`);
  io.stdout(v.error.log.map((l) => `${l}\n`).join(''));
}

/** The `verify` command. */
export const verifyCommand: Command = async (argv, io) => {
  let values: { prog?: string; 'log-level'?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv], allowPositionals: true,
      options: { prog: { type: 'string' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    io.stderr(`tsbpf verify: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout(USAGE);
    return 0;
  }
  const logLevel = values['log-level'] === undefined ? 0 : Number(values['log-level']);
  if (positionals.length !== 1 || (logLevel !== 0 && logLevel !== 1 && logLevel !== 2)) {
    io.stderr(USAGE);
    return 2;
  }
  const path = positionals[0]!;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    io.stderr(`tsbpf verify: cannot read ${path}: ${(e as Error).message}\n`);
    return 2;
  }
  let obj: BpfObject;
  try {
    obj = BpfObject.open(bytes, { name: objectNameOf(path) });
  } catch (e) {
    if (!isBpfError(e)) throw e;
    io.stderr(`tsbpf verify: ${path}: ${e.message} (${e.code})\n`);
    return 2;
  }
  const names = [...obj.spec.programs.keys()];
  if (values.prog !== undefined && !names.includes(values.prog)) {
    io.stderr(`tsbpf verify: ${path}: no program named '${values.prog}' (programs: ${names.join(', ') || 'none'})\n`);
    return 2;
  }
  let verdicts: ProgramVerdict[];
  try {
    verdicts = obj.verify({ logLevel, ...(values.prog !== undefined ? { programs: [values.prog] } : {}) });
  } catch (e) {
    if (!isBpfError(e)) throw e;
    io.stdout(`${path}: cannot be loaded (${e.code}): ${e.message}\n`);
    return 1;
  }
  for (const v of verdicts) report(v, logLevel, io);
  return verdicts.every((v) => v.error === undefined) ? 0 : 1;
};

/**
 * `tsbpf conformance-plugin [MEMORY]`: the bpf_conformance plugin protocol, so the suite's own
 * runner can measure tsbpf as it measures the kernel, uBPF and rbpf. The initial memory comes as
 * hex bytes in the first argument (absent when empty), the program as one line of hex bytes on
 * standard input; r0 is printed in hex on standard output. A refused program exits non-zero with
 * the reason on standard error.
 */
import { parseArgs } from 'node:util';
import type { Command } from '../io.ts';
import { decodeProgram } from '../../isa/decode.ts';
import { CONFORMANCE_HELPERS } from '../../conformance/run.ts';
import { ENGINES } from '../../conformance/engines.ts';
import { fromHex } from '../../util/bytes.ts';
import { isBpfError } from '../../util/errors.ts';

export const conformancePluginCommand: Command = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { engine: { type: 'string', default: 'interpreter' } } });
  } catch (e) {
    io.stderr(`tsbpf conformance-plugin: ${(e as Error).message}\n`);
    return 2;
  }
  const makeEngine = ENGINES[parsed.values.engine];
  if (makeEngine === undefined) {
    io.stderr(`tsbpf conformance-plugin: unknown engine '${parsed.values.engine}'\n`);
    return 2;
  }
  const mem = fromHex(parsed.positionals.join(' '));
  if (mem === undefined) {
    io.stderr('tsbpf conformance-plugin: the memory argument is not hex bytes\n');
    return 2;
  }
  const program = fromHex((await io.readStdin()).trim());
  if (program === undefined) {
    io.stderr('tsbpf conformance-plugin: the program on standard input is not hex bytes\n');
    return 2;
  }
  try {
    const r0 = makeEngine().run(decodeProgram(program), mem, CONFORMANCE_HELPERS);
    io.stdout(`${r0.toString(16)}\n`);
    return 0;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    io.stderr(`${(e as Error).message}\n`);
    return 1;
  }
};

/**
 * The `tsbpf` command: a dispatch table of subcommands, each in src/cli/commands/.
 */
import { readFileSync } from 'node:fs';
import type { Command, Io } from './io.ts';
import { conformanceCommand } from './commands/conformance.ts';
import { conformancePluginCommand } from './commands/conformance-plugin.ts';
import { exampleCommand } from './commands/example.ts';
import { disasmCommand } from './commands/disasm.ts';
import { runCommand } from './commands/run.ts';
import { scenarioCommand } from './commands/scenario.ts';
import { verifyCommand } from './commands/verify.ts';

interface CommandEntry {
  readonly run: Command;
  readonly usage: string;
  readonly summary: string;
}

const COMMANDS: Record<string, CommandEntry> = {
  example: {
    run: exampleCommand,
    usage: 'tsbpf example conntrack|sampler [--duration D] [--clock virtual|real] [--json] ... (tsbpf example --help)',
    summary: 'run a bpf_timer example: conntrack (flows expired by idle timers), sampler (periodic timer into a ring buffer)',
  },
  conformance: {
    run: conformanceCommand,
    usage: 'tsbpf conformance [DIR...] [--engine interpreter] [--verbose]',
    summary: 'run bpf_conformance .data vectors (default: the bundled suite) and print N passed, M failed',
  },
  'conformance-plugin': {
    run: conformancePluginCommand,
    usage: 'tsbpf conformance-plugin [MEMORY-HEX] < program-hex',
    summary: "the bpf_conformance plugin protocol: program on stdin, r0 in hex on stdout",
  },
  disasm: {
    run: disasmCommand,
    usage: 'tsbpf disasm OBJ [--prog NAME]',
    summary: 'print each program of a BPF object, linked, with BTF source lines and map names',
  },
  verify: {
    run: verifyCommand,
    usage: 'tsbpf verify OBJ [--prog NAME] [--log-level 0|1|2]',
    summary: "verify an object's programs as BPF_PROG_LOAD would: exit 0 all verify, 1 one is rejected (log on stdout), 2 bad input",
  },
  run: {
    run: runCommand,
    usage: 'tsbpf run OBJ PROG [--data HEX] [--ctx HEX] [--repeat N] [--engine interpreter|jit] [--cpu N] [--json]',
    summary: 'load an object and test-run one program (BPF_PROG_TEST_RUN): retval, duration, data and ctx out',
  },
  scenario: {
    run: scenarioCommand,
    usage: 'tsbpf scenario FILE.json [--clock virtual|real] [--cpus N] [--engine interpreter|jit]',
    summary: 'run a scenario (shared/spec/scenario.md) and print its result as one JSON line',
  },
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  const usages = Object.values(COMMANDS).map((c) => `  ${c.usage}`);
  return [
    'tsbpf: a userspace eBPF runtime (load, verify and run BPF programs; bpf_timer on a virtual or real clock)',
    '',
    'Commands:',
    ...lines,
    '',
    'Usage:',
    ...usages,
    '',
    'Options: --help, --version',
    '',
  ].join('\n');
}

/** Runs the CLI with the given arguments; returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout(`tsbpf ${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`tsbpf: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  return command.run(rest, io);
}

/**
 * `tsbpf example NAME [options]`: the timer examples of examples/ run on tsbpf, on the virtual
 * clock by default (fast, deterministic) or the real clock (`--clock real`).
 *   conntrack  XDP connection tracking: an LRU hash of flows, each with an idle-expiry timer.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../io.ts';
import { isBpfError } from '../../util/errors.ts';
import { parseDuration, type ClockKind } from '../examples/driver.ts';
import { runConntrack } from '../examples/conntrack.ts';

const USAGE = `usage: tsbpf example conntrack [--flows N] [--duration 60s] [--seed N] [--pcap FILE]
                         [--idle-timeout 30s] [--close-timeout 5s] [--budget N] [--max-flows 4096]
                         [--every 1s] [--clock virtual|real] [--json]
`;

export const exampleCommand: Command = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        flows: { type: 'string', default: '200' },
        duration: { type: 'string', default: '60s' },
        seed: { type: 'string', default: '1' },
        pcap: { type: 'string' },
        'idle-timeout': { type: 'string', default: '30s' },
        'close-timeout': { type: 'string', default: '5s' },
        budget: { type: 'string', default: '0' },
        'max-flows': { type: 'string', default: '4096' },
        every: { type: 'string', default: '5s' },
        clock: { type: 'string', default: 'virtual' },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    io.stderr(`tsbpf example: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const [name] = parsed.positionals;
  const v = parsed.values;
  if (name !== 'conntrack') {
    io.stderr(`tsbpf example: ${name === undefined ? 'which example?' : `unknown example '${name}'`}\n${USAGE}`);
    return 2;
  }
  if (v.clock !== 'virtual' && v.clock !== 'real') {
    io.stderr(`tsbpf example: --clock must be virtual or real\n`);
    return 2;
  }
  const int = (text: string, what: string): number => {
    if (!/^\d+$/.test(text)) throw new Error(`--${what} must be a whole number, got '${text}'`);
    return Number(text);
  };
  try {
    await runConntrack(
      {
        flows: int(v.flows, 'flows'),
        durationNs: parseDuration(v.duration),
        seed: int(v.seed, 'seed'),
        ...(v.pcap !== undefined ? { pcap: readFileSync(v.pcap) } : {}),
        idleTimeoutNs: parseDuration(v['idle-timeout']),
        closeTimeoutNs: parseDuration(v['close-timeout']),
        budget: BigInt(int(v.budget, 'budget')),
        maxFlows: int(v['max-flows'], 'max-flows'),
        everyNs: parseDuration(v.every),
        clock: v.clock as ClockKind,
        json: v.json,
      },
      (text) => io.stdout(text),
    );
    return 0;
  } catch (e) {
    if (!isBpfError(e) && !(e instanceof Error && /^--|ENOENT|EACCES/.test(e.message))) throw e;
    io.stderr(`tsbpf example: ${(e as Error).message}\n`);
    return isBpfError(e) ? 1 : 2;
  }
};

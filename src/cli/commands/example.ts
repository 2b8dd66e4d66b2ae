/**
 * `tsbpf example NAME [options]`: the timer examples of examples/ run on tsbpf, on the virtual
 * clock by default (fast, deterministic) or the real clock (`--clock real`).
 *   conntrack  XDP connection tracking: an LRU hash of flows, each with an idle-expiry timer.
 *   healthcheck  a periodic probe timer flipping backends UP/DOWN from their heartbeats.
 *   sampler    a self-re-arming timer sampling packet counters into a ring buffer.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../io.ts';
import { isBpfError } from '../../util/errors.ts';
import { parseDuration, type ClockKind } from '../examples/driver.ts';
import { runConntrack } from '../examples/conntrack.ts';
import { runSampler } from '../examples/sampler.ts';
import { runHealthcheck } from '../examples/healthcheck.ts';

const USAGE = `usage: tsbpf example conntrack [--flows 200] [--duration 60s] [--seed 1] [--pcap FILE]
                         [--idle-timeout 30s] [--close-timeout 5s] [--budget N] [--max-flows 4096]
                         [--every 5s] [--clock virtual|real] [--json]
       tsbpf example healthcheck [--backends 3] [--duration 20s] [--probe 1s] [--dead-after 3s]
                         [--heartbeat 500ms] [--outage 2:5s-12s] [--client-rate 20] [--clock virtual|real] [--json]
       tsbpf example sampler [--duration 2s] [--interval 100ms] [--rate 2000] [--clock virtual|real] [--json]
`;

/** Flags each example accepts (with defaults); --clock and --json are common. */
const FLAGS: Record<string, Record<string, string>> = {
  conntrack: {
    flows: '200', duration: '60s', seed: '1', 'idle-timeout': '30s', 'close-timeout': '5s', budget: '0',
    'max-flows': '4096', every: '5s',
  },
  sampler: { duration: '2s', interval: '100ms', rate: '2000' },
  healthcheck: {
    backends: '3', duration: '20s', probe: '1s', 'dead-after': '3s', heartbeat: '500ms', outage: '2:5s-12s', 'client-rate': '20',
  },
};

/** A command-line mistake: exit 2 with the usage. */
class UsageError extends Error {}

function int(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--${what} must be a whole number, got '${text}'`);
  return Number(text);
}

function parseDurationOr(text: string): bigint {
  try {
    return parseDuration(text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export const exampleCommand: Command = async (argv, io) => {
  const [name] = argv;
  const defaults = name === undefined ? undefined : FLAGS[name];
  if (defaults === undefined) {
    io.stderr(`tsbpf example: ${name === undefined ? 'which example?' : `unknown example '${name}'`}\n${USAGE}`);
    return 2;
  }
  try {
    const options: Record<string, { type: 'string' | 'boolean' }> = { clock: { type: 'string' }, json: { type: 'boolean' } };
    for (const flag of Object.keys(defaults)) options[flag] = { type: 'string' };
    if (name === 'conntrack') options.pcap = { type: 'string' };
    let parsed;
    try {
      parsed = parseArgs({ args: argv.slice(1), options, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const given = parsed.values as Record<string, string | boolean | undefined>;
    const v = (flag: string): string => (given[flag] as string | undefined) ?? defaults[flag]!;
    const clock = (given.clock as string | undefined) ?? 'virtual';
    if (clock !== 'virtual' && clock !== 'real') throw new UsageError('--clock must be virtual or real');
    const json = given.json === true;
    const out = (text: string) => io.stdout(text);
    const duration = (flag: string) => parseDurationOr(v(flag));
    if (name === 'sampler') {
      await runSampler({ durationNs: duration('duration'), intervalNs: duration('interval'), ratePps: int(v('rate'), 'rate'), clock: clock as ClockKind, json }, out);
      return 0;
    }
    if (name === 'healthcheck') {
      const m = /^(\d+):([^-]+)-(.+)$/.exec(v('outage'));
      if (m === null) throw new UsageError(`--outage must be BACKEND:FROM-TO (e.g. 2:5s-12s), got '${v('outage')}'`);
      const outage = { backend: int(m[1]!, 'outage') - 1, fromNs: parseDurationOr(m[2]!), toNs: parseDurationOr(m[3]!) };
      await runHealthcheck({
        backends: int(v('backends'), 'backends'), durationNs: duration('duration'), probeNs: duration('probe'),
        deadAfterNs: duration('dead-after'), heartbeatNs: duration('heartbeat'), outage,
        clientPps: int(v('client-rate'), 'client-rate'), clock: clock as ClockKind, json,
      }, out);
      return 0;
    }
    const pcap = given.pcap as string | undefined;
    await runConntrack(
      {
        flows: int(v('flows'), 'flows'),
        durationNs: duration('duration'),
        seed: int(v('seed'), 'seed'),
        ...(pcap !== undefined ? { pcap: readFileSync(pcap) } : {}),
        idleTimeoutNs: duration('idle-timeout'),
        closeTimeoutNs: duration('close-timeout'),
        budget: BigInt(int(v('budget'), 'budget')),
        maxFlows: int(v('max-flows'), 'max-flows'),
        everyNs: duration('every'),
        clock: clock as ClockKind,
        json,
      },
      out,
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`tsbpf example: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (isBpfError(e) || (e instanceof Error && 'code' in e && e.code === 'ENOENT')) {
      io.stderr(`tsbpf example: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
};

/**
 * `tsbpf scenario FILE.json [--clock virtual|real] [--cpus N] [--engine interpreter|jit]`: runs a scenario
 * (shared/spec/scenario.md) and prints its result as one JSON line. Exit 0 whenever every step
 * could be carried out (errno answers included); 2 for usage errors and malformed scenarios, 1
 * when the object cannot be read or opened.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleepMs } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { objectNameOf } from '../../loader/data.ts';
import { parseScenario, runScenario, type ScenarioOptions } from '../../runtime/scenario.ts';
import { RealClock } from '../../timers/real-clock.ts';
import { VirtualClock } from '../../timers/virtual-clock.ts';
import { isBpfError } from '../../util/errors.ts';
import { DEFAULT_ENGINE, isEngineName } from '../../runtime/engine.ts';
import type { Command } from '../io.ts';

const USAGE = 'usage: tsbpf scenario FILE.json [--clock virtual|real] [--cpus N] [--engine interpreter|jit]\n';

export const scenarioCommand: Command = async (argv, io) => {
  let values: { clock?: string; cpus?: string; engine?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv], allowPositionals: true,
      options: { clock: { type: 'string' }, cpus: { type: 'string' }, engine: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    io.stderr(`tsbpf scenario: ${(e as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const clockName = values.clock ?? 'virtual';
  const engine = values.engine ?? DEFAULT_ENGINE;
  if (positionals.length !== 1 || (clockName !== 'virtual' && clockName !== 'real') || !isEngineName(engine)) {
    io.stderr(USAGE);
    return 2;
  }
  const nCpus = values.cpus === undefined ? undefined : Number(values.cpus);
  if (nCpus !== undefined && (!Number.isInteger(nCpus) || nCpus < 1)) {
    io.stderr(`tsbpf scenario: --cpus must be a positive integer, got '${values.cpus}'\n`);
    return 2;
  }
  const file = positionals[0]!;
  let scenario;
  try {
    scenario = parseScenario(JSON.parse(readFileSync(file, 'utf8')) as unknown);
  } catch (e) {
    io.stderr(`tsbpf scenario: ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  const objPath = resolve(dirname(file), scenario.object);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(objPath);
  } catch (e) {
    io.stderr(`tsbpf scenario: cannot read object ${objPath}: ${(e as Error).message}\n`);
    return 1;
  }
  const real = clockName === 'real';
  const clock = real ? new RealClock({ keepAlive: false }) : new VirtualClock();
  const options: ScenarioOptions = {
    clock, objectName: objectNameOf(objPath), engine,
    ...(nCpus !== undefined ? { nCpus } : {}),
    ...(real ? { sleep: (ns: bigint) => sleepMs(Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6) } : {}),
  };
  try {
    const result = await runScenario(scenario, bytes, options);
    io.stdout(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    io.stderr(`tsbpf scenario: cannot open ${objPath}: ${e.message}\n`);
    return 1;
  } finally {
    clock.close();
  }
};

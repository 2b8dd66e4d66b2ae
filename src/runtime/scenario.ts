/**
 * Scenario files (shared/spec/scenario.md): parsing with precise complaints, and running one on
 * tsbpf. The result has one element per step; a step the kernel would refuse gives its errno
 * (`{"errno": E}`), not a failure. Only a malformed scenario or an object that cannot be opened
 * throws. Node-free: the CLI reads the files and supplies the sleep of the real clock.
 * Works in node / browser.
 */
import { BpfError, isBpfError } from '../util/errors.ts';
import { EINVAL } from '../uapi/errno.ts';
import { BpfObject } from './object.ts';
import type { RuntimeOptions } from './runtime.ts';
import { Runtime } from './runtime.ts';
import type { EngineName } from './engine.ts';

/** One step of a scenario. */
export type ScenarioStep =
  | { readonly op: 'run'; readonly prog: string; readonly data?: string; readonly ctx?: string; readonly repeat?: number }
  | { readonly op: 'sleep'; readonly ns: number }
  | { readonly op: 'dump'; readonly map: string }
  | { readonly op: 'lookup'; readonly map: string; readonly key: string }
  | { readonly op: 'update'; readonly map: string; readonly key: string; readonly value: string; readonly flags?: number }
  | { readonly op: 'delete'; readonly map: string; readonly key: string }
  | { readonly op: 'release'; readonly maps: readonly string[] };

/** A parsed scenario. */
export interface Scenario {
  readonly object: string;
  readonly steps: readonly ScenarioStep[];
}

/** The result of one step. */
export type StepResult =
  | { retval: number } | { errno: number } | { value: string } | { entries: [string, string][] } | Record<string, never>;

/** The printed result: steps, or the load failure. */
export type ScenarioResult = { steps: StepResult[] } | { load: { errno: number } };

const HEX = /^(?:[0-9a-f]{2})*$/;

function malformed(msg: string): never {
  throw new BpfError(EINVAL, `malformed scenario: ${msg}`);
}

/**
 * Checks a scenario's JSON (unknown fields are refused, hex must be lower case and whole bytes).
 * @throws {BpfError} EINVAL `malformed scenario: steps[2]: ...`.
 */
export function parseScenario(json: unknown): Scenario {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) malformed('not a JSON object');
  const top = json as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'object' && k !== 'steps') malformed(`unknown field '${k}'`);
  if (typeof top.object !== 'string' || top.object === '') malformed("'object' must be a non-empty string");
  if (!Array.isArray(top.steps)) malformed("'steps' must be an array");
  const steps = top.steps.map((s: unknown, i: number) => parseStep(s, `steps[${i}]`));
  return { object: top.object, steps };
}

function parseStep(s: unknown, where: string): ScenarioStep {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) malformed(`${where}: not an object`);
  const o = s as Record<string, unknown>;
  const allowed: Record<string, readonly string[]> = {
    run: ['prog', 'data', 'ctx', 'repeat'], sleep: ['ns'], dump: ['map'], lookup: ['map', 'key'],
    update: ['map', 'key', 'value', 'flags'], delete: ['map', 'key'], release: ['maps'],
  };
  const op = o.op;
  if (typeof op !== 'string' || !(op in allowed)) malformed(`${where}: unknown op ${JSON.stringify(op)}`);
  for (const k of Object.keys(o)) if (k !== 'op' && !allowed[op]!.includes(k)) malformed(`${where}: unknown field '${k}' for op '${op}'`);
  const str = (k: string, optional = false): string | undefined => {
    const v = o[k];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v === '') malformed(`${where}: '${k}' must be a non-empty string`);
    return v;
  };
  const hex = (k: string, optional = false): string | undefined => {
    const v = o[k];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || !HEX.test(v)) malformed(`${where}: '${k}' must be lower-case hex of whole bytes`);
    return v;
  };
  const int = (k: string, min: number, max: number, optional = false): number | undefined => {
    const v = o[k];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) malformed(`${where}: '${k}' must be an integer in ${min}..${max}`);
    return v;
  };
  const opt = <T>(k: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [k]: v });
  switch (op) {
    case 'run':
      return { op, prog: str('prog')!, ...opt('data', hex('data', true)), ...opt('ctx', hex('ctx', true)), ...opt('repeat', int('repeat', 0, 0xffff_ffff, true)) };
    case 'sleep':
      return { op, ns: int('ns', 0, Number.MAX_SAFE_INTEGER)! };
    case 'dump':
      return { op, map: str('map')! };
    case 'lookup':
    case 'delete':
      return { op, map: str('map')!, key: hex('key')! };
    case 'update':
      return { op, map: str('map')!, key: hex('key')!, value: hex('value')!, ...opt('flags', int('flags', 0, 0xffff_ffff, true)) };
    default: {
      const maps = o.maps;
      if (!Array.isArray(maps) || maps.some((m) => typeof m !== 'string' || m === '')) malformed(`${where}: 'maps' must be an array of map names`);
      return { op: 'release', maps: maps as string[] };
    }
  }
}

/** Lower-case hex of bytes. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Bytes of lower-case hex (validated by parseScenario). */
export function fromHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** How to run a scenario. */
export interface ScenarioOptions extends RuntimeOptions {
  /** libbpf's object name (for global-data map names). */
  readonly objectName?: string;
  /** Execution engine of the programs (default: the runtime's default engine). */
  readonly engine?: EngineName;
  /**
   * Lets `ns` pass. Default: advance the runtime's clock when it can (VirtualClock.advance),
   * otherwise refuse with EINVAL.
   */
  readonly sleep?: (ns: bigint, runtime: Runtime) => Promise<void> | void;
}

/**
 * Runs `scenario` on its object's bytes.
 * @throws {BpfError} when the object cannot be opened (the caller exits non-zero); a failed load
 * is a result (`{"load": {"errno": N}}`).
 */
export async function runScenario(scenario: Scenario, objectBytes: Uint8Array, options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const obj = BpfObject.open(objectBytes, { name: options.objectName ?? 'obj' });
  const runtime = new Runtime(options);
  try {
    await obj.load(options.engine !== undefined ? { runtime, engine: options.engine } : { runtime });
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return { load: { errno: e.errno } };
  }
  const sleep = options.sleep ?? defaultSleep;
  const steps: StepResult[] = [];
  try {
    for (const step of scenario.steps) steps.push(await runStep(obj, runtime, step, sleep));
  } finally {
    obj.close();
    // Nothing fires once the scenario is over (pinned maps may still hold armed timers).
    runtime.close();
  }
  return { steps };
}

function defaultSleep(ns: bigint, runtime: Runtime): void {
  const clock = runtime.clock as { advance?: (ns: bigint) => unknown };
  if (clock.advance === undefined) throw new BpfError(EINVAL, 'sleep: the clock cannot be advanced (pass a sleep function for real clocks)');
  clock.advance(ns);
}

async function runStep(obj: BpfObject, runtime: Runtime, step: ScenarioStep, sleep: NonNullable<ScenarioOptions['sleep']>): Promise<StepResult> {
  if (step.op === 'sleep') {
    await sleep(BigInt(step.ns), runtime);
    // Every timer due by the end of the sleep fires before the next step, as the kernel's timer
    // softirq does however late the sleeping process wakes. On a real clock the host may wake
    // the sleeper before the event-loop turn that fires them; on a virtual clock nothing is due.
    runtime.clock.fireDueNow();
    return {};
  }
  try {
    switch (step.op) {
      case 'run': {
        const r = obj.program(step.prog).run({
          ...(step.data !== undefined ? { data: fromHex(step.data) } : {}),
          ...(step.ctx !== undefined ? { ctx: fromHex(step.ctx) } : {}),
          ...(step.repeat !== undefined ? { repeat: step.repeat } : {}),
        });
        return { retval: r.retval };
      }
      case 'dump': {
        const entries = obj.map(step.map).entries().map(([k, v]): [string, string] => [toHex(k), toHex(v)]);
        entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        return { entries };
      }
      case 'lookup': {
        const v = obj.map(step.map).lookup(fromHex(step.key));
        return v === undefined ? { errno: 2 } : { value: toHex(v) };
      }
      case 'update':
        obj.map(step.map).update(fromHex(step.key), fromHex(step.value), step.flags ?? 0);
        return { errno: 0 };
      case 'delete':
        obj.map(step.map).delete(fromHex(step.key));
        return { errno: 0 };
      case 'release':
        for (const name of step.maps) {
          const h = obj.map(name);
          if (!h.released) runtime.releaseAllUserRefs(h);
        }
        return {};
    }
  } catch (e) {
    if (isBpfError(e)) return { errno: e.errno };
    throw e;
  }
}

/**
 * @module tools/scenario/format
 * The scenario file format of ../shared/spec/scenario.md as TypeScript types, and a validator for
 * scenario files and their results. Shared by the kernel side (kernel.ts, record.ts) and tsbpf's
 * own `tsbpf scenario`, which compares its output with the kernel recordings. Pure: no node:*
 * imports, so it works wherever the library does; `validateScenarioFile` in scenario-files.ts adds
 * the file-system checks (the object exists).
 */

/** BPF_PROG_TEST_RUN of one program (the C function name). */
export interface RunStep {
  readonly op: 'run';
  readonly prog: string;
  /** Hex of the input context. */
  readonly ctx?: string;
  /** Hex of the input packet data. */
  readonly data?: string;
  readonly repeat?: number;
}
/** Let `ns` nanoseconds pass (real sleep on the kernel, clock advance on the virtual clock). */
export interface SleepStep { readonly op: 'sleep'; readonly ns: number }
/** Every entry of a map; `.bss`, `.data`, `.rodata` name the global-data maps. */
export interface DumpStep { readonly op: 'dump'; readonly map: string }
export interface LookupStep { readonly op: 'lookup'; readonly map: string; readonly key: string }
export interface UpdateStep { readonly op: 'update'; readonly map: string; readonly key: string; readonly value: string; readonly flags?: number }
export interface DeleteStep { readonly op: 'delete'; readonly map: string; readonly key: string }
/** Drop every user-space reference to the maps (their user reference count falls to zero). */
export interface ReleaseStep { readonly op: 'release'; readonly maps: readonly string[] }

export type ScenarioStep = RunStep | SleepStep | DumpStep | LookupStep | UpdateStep | DeleteStep | ReleaseStep;

export interface Scenario {
  /** Path of the ELF object, relative to the scenario file. */
  readonly object: string;
  readonly steps: readonly ScenarioStep[];
}

/** One step's result, in the shape scenario.md gives per op. */
export type StepResult =
  | { readonly retval: number }
  | { readonly errno: number }
  | { readonly value: string }
  | { readonly entries: readonly (readonly [string, string])[] }
  | Record<string, never>;

/** What a scenario run prints: the load failure, or one result per step. */
export type ScenarioResult = { readonly load: { readonly errno: number } } | { readonly steps: readonly StepResult[] };

/**
 * Update flags a scenario may pass: BPF_ANY (0), BPF_NOEXIST (1), BPF_EXIST (2), each optionally
 * with BPF_F_LOCK (4). scenario.md lists the first three; BPF_F_LOCK is accepted too because the
 * timer behaviours B35/B36 are about user-space BPF_F_LOCK updates.
 */
export const SCENARIO_UPDATE_FLAGS: readonly number[] = [0, 1, 2, 4, 5, 6];

/** Upper bound for `sleep.ns`: one hour (anything longer is a mistake in a test). */
export const MAX_SLEEP_NS = 3_600_000_000_000;

const HEX = /^(?:[0-9a-f]{2})*$/;
const STEP_FIELDS: Readonly<Record<ScenarioStep['op'], readonly string[]>> = {
  run: ['op', 'prog', 'ctx', 'data', 'repeat'],
  sleep: ['op', 'ns'],
  dump: ['op', 'map'],
  lookup: ['op', 'map', 'key'],
  update: ['op', 'map', 'key', 'value', 'flags'],
  delete: ['op', 'map', 'key'],
  release: ['op', 'maps'],
};

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isOp(x: unknown): x is ScenarioStep['op'] {
  return typeof x === 'string' && Object.hasOwn(STEP_FIELDS, x);
}

/**
 * Checks a parsed scenario against the format: top-level fields, every op and its fields, hex
 * strings (lower case, whole bytes), integer ranges, and that no step names a map released by an
 * earlier step.
 * @returns the list of problems, empty when the scenario is well formed.
 */
export function scenarioProblems(x: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(x)) return ['the scenario must be a JSON object'];
  for (const k of Object.keys(x)) if (k !== 'object' && k !== 'steps') problems.push(`unknown top-level field "${k}"`);
  if (typeof x['object'] !== 'string' || x['object'] === '') problems.push('"object" must be a non-empty string');
  const steps = x['steps'];
  if (!Array.isArray(steps)) return [...problems, '"steps" must be an array'];
  const released = new Set<string>();
  steps.forEach((s: unknown, i) => {
    const at = `step ${i}`;
    if (!isRecord(s)) {
      problems.push(`${at}: not an object`);
      return;
    }
    const op = s['op'];
    if (!isOp(op)) {
      problems.push(`${at}: unknown op ${JSON.stringify(op)}`);
      return;
    }
    for (const k of Object.keys(s)) if (!STEP_FIELDS[op].includes(k)) problems.push(`${at}: unknown field "${k}" for op "${op}"`);
    const name = (k: string): void => {
      const v = s[k];
      if (typeof v !== 'string' || v === '') problems.push(`${at}: "${k}" must be a non-empty string`);
    };
    const hex = (k: string, required: boolean): void => {
      const v = s[k];
      if (v === undefined) {
        if (required) problems.push(`${at}: "${k}" is required`);
      } else if (typeof v !== 'string' || !HEX.test(v)) problems.push(`${at}: "${k}" must be lower-case hex of whole bytes`);
    };
    const int = (k: string, max: number, required: boolean, allowed?: readonly number[]): void => {
      const v = s[k];
      if (v === undefined) {
        if (required) problems.push(`${at}: "${k}" is required`);
      } else if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max || (allowed !== undefined && !allowed.includes(v))) {
        problems.push(`${at}: "${k}" must be ${allowed ? `one of ${allowed.join(', ')}` : `an integer in [0, ${max}]`}`);
      }
    };
    const notReleased = (m: unknown): void => {
      if (typeof m === 'string' && released.has(m)) problems.push(`${at}: map "${m}" was released by an earlier step`);
    };
    switch (op) {
      case 'run':
        name('prog');
        hex('ctx', false);
        hex('data', false);
        int('repeat', 0xffff_ffff, false);
        break;
      case 'sleep':
        int('ns', MAX_SLEEP_NS, true);
        break;
      case 'dump':
        name('map');
        notReleased(s['map']);
        break;
      case 'lookup':
      case 'delete':
        name('map');
        hex('key', true);
        notReleased(s['map']);
        break;
      case 'update':
        name('map');
        hex('key', true);
        hex('value', true);
        int('flags', 7, false, SCENARIO_UPDATE_FLAGS);
        notReleased(s['map']);
        break;
      case 'release': {
        const maps = s['maps'];
        if (!Array.isArray(maps) || maps.length === 0 || !maps.every((m) => typeof m === 'string' && m !== '')) {
          problems.push(`${at}: "maps" must be a non-empty array of map names`);
        } else {
          for (const m of maps as string[]) {
            notReleased(m);
            released.add(m);
          }
        }
        break;
      }
    }
  });
  return problems;
}

/** Type guard over scenarioProblems(). */
export function isScenario(x: unknown): x is Scenario {
  return scenarioProblems(x).length === 0;
}

/**
 * Checks a result against the format and, when `scenario` is given, against its steps: one result
 * per step, each of the shape its op produces.
 * @returns the list of problems, empty when the result is well formed.
 */
export function resultProblems(x: unknown, scenario?: Scenario): string[] {
  if (!isRecord(x)) return ['the result must be a JSON object'];
  const keys = Object.keys(x);
  if (keys.length === 1 && keys[0] === 'load') {
    const l = x['load'];
    return isRecord(l) && Object.keys(l).length === 1 && isErrno(l['errno']) ? [] : ['"load" must be {"errno": N} with N > 0'];
  }
  if (keys.length !== 1 || keys[0] !== 'steps' || !Array.isArray(x['steps'])) return ['the result must be {"steps": [...]} or {"load": {...}}'];
  const steps = x['steps'] as unknown[];
  const problems: string[] = [];
  if (scenario !== undefined && steps.length !== scenario.steps.length) problems.push(`${steps.length} results for ${scenario.steps.length} steps`);
  steps.forEach((r, i) => {
    const op = scenario?.steps[i]?.op;
    const shape = resultShape(r);
    if (shape === undefined) problems.push(`result ${i}: not a step result: ${JSON.stringify(r)}`);
    else if (op !== undefined && !RESULT_SHAPES[op].includes(shape)) problems.push(`result ${i}: a "${shape}" result for a "${op}" step`);
  });
  return problems;
}

type Shape = 'retval' | 'errno' | 'value' | 'entries' | 'empty';
const RESULT_SHAPES: Readonly<Record<ScenarioStep['op'], readonly Shape[]>> = {
  run: ['retval', 'errno'],
  sleep: ['empty'],
  dump: ['entries', 'errno'],
  lookup: ['value', 'errno'],
  update: ['errno'],
  delete: ['errno'],
  release: ['empty'],
};

function isErrno(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function resultShape(r: unknown): Shape | undefined {
  if (!isRecord(r)) return undefined;
  const keys = Object.keys(r);
  if (keys.length === 0) return 'empty';
  if (keys.length !== 1) return undefined;
  const v = r[keys[0] as string];
  switch (keys[0]) {
    case 'retval':
      return typeof v === 'number' && Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff ? 'retval' : undefined;
    case 'errno':
      // update/delete report success as errno 0.
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? 'errno' : undefined;
    case 'value':
      return typeof v === 'string' && HEX.test(v) ? 'value' : undefined;
    case 'entries':
      return Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length === 2 && e.every((h) => typeof h === 'string' && HEX.test(h))) ? 'entries' : undefined;
    default:
      return undefined;
  }
}

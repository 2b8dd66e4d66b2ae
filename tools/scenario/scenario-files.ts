/**
 * @module tools/scenario/scenario-files
 * File-system side of the scenario catalogue: where the files live, their canonical text, and
 * validation of a scenario file including its object's existence. Node only.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioDef } from './define.ts';
import { scenarioProblems, type Scenario } from './format.ts';

export const SCENARIO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'testdata', 'scenarios');

/** Canonical JSON text of a scenario: one step per line. */
export function scenarioJson(s: Pick<ScenarioDef, 'object' | 'steps'>): string {
  const steps = s.steps.map((st) => `    ${JSON.stringify(st)}`).join(',\n');
  return `{\n  "object": ${JSON.stringify(s.object)},\n  "steps": [\n${steps}\n  ]\n}\n`;
}

/** Names (without .json) of the scenario files in testdata/scenarios/, recordings excluded. */
export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.kernel.json')).map((f) => f.slice(0, -5)).sort();
}

export const scenarioPath = (name: string): string => join(SCENARIO_DIR, `${name}.json`);
export const recordingPath = (name: string): string => join(SCENARIO_DIR, `${name}.kernel.json`);

/**
 * Validates a scenario file: JSON, the format (format.ts), and that the object exists next to it.
 * @returns the parsed scenario and the problems found (empty when valid).
 */
export function validateScenarioFile(file: string): { scenario?: Scenario; problems: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { problems: [`not JSON: ${e instanceof Error ? e.message : String(e)}`] };
  }
  const problems = scenarioProblems(parsed);
  if (problems.length > 0) return { problems };
  const scenario = parsed as Scenario;
  const obj = resolve(dirname(file), scenario.object);
  if (!existsSync(obj)) problems.push(`object ${scenario.object} does not exist (${obj})`);
  return { scenario, problems };
}

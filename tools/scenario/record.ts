/**
 * Records the kernel's result for scenarios: runs each three times on the running kernel and writes
 * testdata/scenarios/<name>.kernel.json (the output line) only when the three results agree.
 *
 *   npx tsx tools/scenario/record.ts [names...]     # default: every scenario
 *
 * Prints one line per scenario (recorded / FLAKY with the differing results / ERROR) and exits 1
 * when any scenario was flaky or failed.
 */
import { writeFileSync } from 'node:fs';
import { kernelScenarioAvailable, runScenarioOnKernel } from './kernel.ts';
import { recordingPath, scenarioNames, scenarioPath, validateScenarioFile } from './scenario-files.ts';

const RUNS = 3;

const avail = kernelScenarioAvailable();
if (!avail.ok) {
  console.error(`record: the kernel side is not available: ${avail.reason}`);
  process.exit(2);
}
const names = process.argv.length > 2 ? process.argv.slice(2) : scenarioNames();
let bad = 0;
for (const name of names) {
  const file = scenarioPath(name);
  const { problems } = validateScenarioFile(file);
  if (problems.length > 0) {
    console.log(`ERROR    ${name}: ${problems.join('; ')}`);
    bad++;
    continue;
  }
  try {
    const outs: string[] = [];
    for (let i = 0; i < RUNS; i++) outs.push(JSON.stringify(runScenarioOnKernel(file)));
    if (outs.every((o) => o === outs[0])) {
      writeFileSync(recordingPath(name), `${outs[0]}\n`);
      console.log(`recorded ${name}`);
    } else {
      console.log(`FLAKY    ${name}:\n${outs.map((o) => `  ${o}`).join('\n')}`);
      bad++;
    }
  } catch (e) {
    console.log(`ERROR    ${name}: ${e instanceof Error ? e.message : String(e)}`);
    bad++;
  }
}
console.log(`${names.length - bad} of ${names.length} recorded`);
process.exit(bad > 0 ? 1 : 0);

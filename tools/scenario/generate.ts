/**
 * Writes testdata/scenarios/<name>.json for every scenario of the catalogue, and the README that
 * says what each covers. Run after editing catalog*.ts:  npx tsx tools/scenario/generate.ts
 * (catalog.test.ts fails when the files and the catalogue disagree).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { notCovered, scenarios } from './catalog.ts';
import { SCENARIO_DIR, scenarioJson } from './scenario-files.ts';
import { readmeText } from './readme.ts';

for (const s of scenarios) writeFileSync(join(SCENARIO_DIR, `${s.name}.json`), scenarioJson(s));
writeFileSync(join(SCENARIO_DIR, 'README.md'), readmeText(scenarios, notCovered));
console.log(`wrote ${scenarios.length} scenarios to ${SCENARIO_DIR}`);

// Every bundled bpf_conformance vector, one test each, on every engine.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseVector } from '../src/conformance/vector.ts';
import { runVector } from '../src/conformance/run.ts';
import { ENGINES } from '../src/conformance/engines.ts';
import { BUNDLED_VECTORS } from '../src/cli/commands/conformance.ts';

const files = (sub: string) => readdirSync(join(BUNDLED_VECTORS, sub)).filter((f) => f.endsWith('.data')).sort();

for (const [engineName, makeEngine] of Object.entries(ENGINES)) {
  const engine = makeEngine();
  describe(`conformance vectors (${engineName})`, () => {
    const tests = files('tests');
    it('has the whole suite (313 vectors)', () => assert.equal(tests.length, 313));
    for (const f of tests) {
      it(f, () => {
        const outcome = runVector(parseVector(f, readFileSync(join(BUNDLED_VECTORS, 'tests', f), 'utf8')), engine);
        assert.ok(outcome.ok, outcome.detail);
        assert.equal(outcome.refused, false);
      });
    }
  });
}

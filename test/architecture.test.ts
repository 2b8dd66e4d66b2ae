// The dependency direction of ../shared/design/style.md, enforced on the imports of src/:
// each top-level module may import only the modules listed for it, and only cli/ and node/ may
// import node:* (the core runs in a browser). Tests and test helpers are exempt.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, normalize } from 'node:path';

const BASE = ['util', 'uapi'];
const ALLOWED: Record<string, readonly string[]> = {
  uapi: [],
  util: ['uapi'],
  isa: BASE,
  elf: BASE,
  btf: [...BASE, 'isa'],
  loader: [...BASE, 'elf', 'btf', 'isa'],
  verifier: [...BASE, 'isa', 'btf', 'helpers', 'loader'],
  vm: [...BASE, 'isa'],
  jit: [...BASE, 'isa', 'vm'],
  timers: [...BASE, 'vm'],
  maps: [...BASE, 'btf', 'timers', 'vm'],
  helpers: [...BASE, 'isa', 'btf', 'maps', 'timers', 'vm'],
  conformance: [...BASE, 'isa', 'vm', 'jit'],
  examples: BASE,
  runtime: [...BASE, 'isa', 'elf', 'btf', 'loader', 'verifier', 'vm', 'jit', 'timers', 'maps', 'helpers'],
  cli: ['*'],
  node: ['*'],
};
const MAY_USE_NODE = new Set(['cli', 'node']);

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && name !== 'test-helpers.ts') out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) found.push(m[1]!);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

const moduleOf = (file: string): string => relative('src', file).split(/[\\/]/)[0]!;

describe('architecture', () => {
  const files = sources('src');
  it('every top-level module under src/ has a rule', () => {
    for (const f of files) {
      const mod = moduleOf(f);
      if (mod.endsWith('.ts')) continue; // src/index.ts: the public barrel
      assert.ok(mod in ALLOWED, `no dependency rule for src/${mod}/`);
    }
  });
  it('imports follow the dependency direction', () => {
    const violations: string[] = [];
    for (const f of files) {
      const from = moduleOf(f);
      if (from.endsWith('.ts')) continue;
      const allowed = ALLOWED[from] ?? [];
      for (const spec of imports(f)) {
        if (spec.startsWith('node:')) {
          if (!MAY_USE_NODE.has(from)) violations.push(`${f} imports ${spec} (only cli/ and node/ may)`);
          continue;
        }
        if (!spec.startsWith('.')) continue; // packages
        const target = normalize(join(dirname(f), spec));
        if (!target.startsWith('src')) continue;
        const to = moduleOf(target);
        if (to === from || allowed.includes('*') || allowed.includes(to)) continue;
        violations.push(`${f} imports ${spec} (${from} → ${to} is not allowed)`);
      }
    }
    assert.deepEqual(violations, []);
  });
  it('no enum, namespace or source file over 800 lines', () => {
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      assert.doesNotMatch(text, /^\s*(export\s+)?(const\s+)?enum\s|^\s*(export\s+)?namespace\s/m, f);
      if (!/DO NOT EDIT/.test(text)) assert.ok(text.split('\n').length <= 800, `${f} has more than 800 lines`);
    }
  });
});

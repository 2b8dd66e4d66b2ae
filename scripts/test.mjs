#!/usr/bin/env node
// Runs every *.test.ts under src/, test/ and tools/ with Node's test runner through tsx.
// Node 20's `--test` does not expand globs, so the files are listed here.
// Extra arguments are passed on (for example `npm test -- --test-name-pattern=timer`);
// arguments that are paths select test files instead of the full list.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const paths = args.filter((a) => !a.startsWith('-') && existsSync(a));
const flags = args.filter((a) => !paths.includes(a));
const files = paths.length ? paths.flatMap((p) => (statSync(p).isDirectory() ? collect(p, []) : [p])) : [...collect('src', []), ...collect('test', []), ...collect('tools', [])];
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...flags, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);

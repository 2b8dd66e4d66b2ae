import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { memoryIo } from './io.ts';
import { main } from './main.ts';

describe('tsbpf', () => {
  it('--version prints the package version', async () => {
    const io = memoryIo();
    assert.equal(await main(['--version'], io), 0);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(io.out, `tsbpf ${pkg.version}\n`);
  });
  it('--help lists every command', async () => {
    const io = memoryIo();
    assert.equal(await main(['--help'], io), 0);
    for (const c of ['conformance', 'conformance-plugin']) assert.match(io.out, new RegExp(`^  ${c} `, 'm'));
  });
  it('an unknown command exits 2 with help on stderr', async () => {
    const io = memoryIo();
    assert.equal(await main(['frobnicate'], io), 2);
    assert.match(io.err, /unknown command 'frobnicate'/);
    assert.equal(io.out, '');
  });
});

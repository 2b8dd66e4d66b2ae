import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryIo } from '../io.ts';
import { main } from '../main.ts';

const progs = join(import.meta.dirname, '..', '..', '..', 'testdata', 'progs');

function scenarioFile(body: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-scenario-'));
  copyFileSync(join(progs, 'loader_tracing.bpf.o'), join(dir, 'o.bpf.o'));
  const file = join(dir, 's.json');
  writeFileSync(file, JSON.stringify(body));
  return file;
}

describe('tsbpf scenario', () => {
  it('prints one JSON line; malformed scenarios exit 2; unreadable objects exit 1', async () => {
    const bad = memoryIo();
    assert.equal(await main(['scenario', scenarioFile({ object: 'o.bpf.o', steps: [{ op: 'fly' }] })], bad), 2);
    assert.match(bad.err, /malformed scenario: steps\[0\]: unknown op "fly"/);
    const missing = memoryIo();
    assert.equal(await main(['scenario', scenarioFile({ object: 'nope.bpf.o', steps: [] })], missing), 1);
    const ok = memoryIo();
    assert.equal(await main(['scenario', scenarioFile({ object: 'o.bpf.o', steps: [{ op: 'sleep', ns: 1000 }, { op: 'lookup', map: 'nomap', key: '00000000' }] })], ok), 0, ok.err);
    const out = JSON.parse(ok.out) as unknown;
    assert.equal(ok.out.trim().split('\n').length, 1);
    assert.ok(typeof out === 'object' && out !== null && ('steps' in out || 'load' in out));
  });

  it('runs on either engine (--engine); an unknown engine is a usage error', async () => {
    const file = scenarioFile({ object: 'o.bpf.o', steps: [{ op: 'lookup', map: 'nomap', key: '00000000' }] });
    const outs: string[] = [];
    for (const engine of ['interpreter', 'jit']) {
      const io = memoryIo();
      assert.equal(await main(['scenario', file, '--engine', engine], io), 0, io.err);
      outs.push(io.out);
    }
    assert.equal(outs[0], outs[1]);
    const bad = memoryIo();
    assert.equal(await main(['scenario', file, '--engine', 'abacus'], bad), 2);
    assert.match(bad.err, /--engine interpreter\|jit/);
  });
});

describe('tsbpf run', () => {
  // Refusing a program with an unsupported helper is tested in src/runtime/runtime.test.ts.
  it('runs a program of an object and prints its result', async () => {
    const io = memoryIo();
    assert.equal(await main(['run', join(progs, 'loader_progs.bpf.o'), 'xdp_pass', '--data', '00'.repeat(20)], io), 0, io.err);
    assert.match(io.out, /^retval: 2\n/);
    assert.match(io.out, /^data_out: 0{40}$/m);
    const usage = memoryIo();
    assert.equal(await main(['run', 'x.o'], usage), 2);
  });

  it('--engine interpreter and --engine jit give the same result; others are refused', async () => {
    const outs: string[] = [];
    for (const engine of ['interpreter', 'jit']) {
      const io = memoryIo();
      assert.equal(await main(['run', join(progs, 'loader_progs.bpf.o'), 'xdp_pass', '--data', '01'.repeat(20), '--engine', engine, '--json'], io), 0, io.err);
      outs.push(io.out.replace(/"duration_ns":\d+/, ''));
    }
    assert.equal(outs[0], outs[1]);
    const bad = memoryIo();
    assert.equal(await main(['run', join(progs, 'loader_progs.bpf.o'), 'xdp_pass', '--engine', 'abacus'], bad), 2);
    assert.match(bad.err, /--engine must be interpreter or jit, got 'abacus'/);
  });
});

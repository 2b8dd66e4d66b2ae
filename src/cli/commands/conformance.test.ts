import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryIo } from '../io.ts';
import { conformanceCommand } from './conformance.ts';
import { conformancePluginCommand } from './conformance-plugin.ts';
import { encodeProgram } from '../../isa/encode.ts';
import { assemble } from '../../isa/asm.ts';
import { toHex } from '../../util/bytes.ts';

const BIN = fileURLToPath(new URL('../bin.ts', import.meta.url));

describe('tsbpf conformance', () => {
  it('runs the bundled suite: every vector passes, every negative one is refused', async () => {
    const io = memoryIo();
    assert.equal(await conformanceCommand([], io), 0);
    assert.equal(io.out, '373 passed, 0 failed\n');
  });

  it('prints one line per failure, then the counts, and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-conf-'));
    writeFileSync(join(dir, 'good.data'), '-- asm\nmov %r0, 7\nexit\n-- result\n0x7\n');
    writeFileSync(join(dir, 'bad.data'), '-- asm\nmov %r0, 7\nexit\n-- result\n0x8\n');
    writeFileSync(join(dir, 'refused.data'), '-- asm\nmov %r0, %r3\nexit\n-- result\n0x0\n');
    const io = memoryIo();
    assert.equal(await conformanceCommand([dir], io), 1);
    const lines = io.out.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^FAIL .*bad\.data: r0 = 0x7, expected 0x8$/);
    assert.match(lines[1]!, /^FAIL .*refused\.data: refused: R3 !read_ok/);
    assert.equal(lines[2], '1 passed, 2 failed');
  });

  it('reports unreadable directories and unknown engines with exit 2', async () => {
    const io = memoryIo();
    assert.equal(await conformanceCommand(['/nonexistent/dir'], io), 2);
    assert.match(io.err, /cannot read \/nonexistent\/dir/);
    assert.equal(await conformanceCommand(['--engine', 'nope'], memoryIo()), 2);
  });
});

describe('tsbpf conformance-plugin', () => {
  const prog = (text: string) => toHex(encodeProgram(assemble(text)));

  it('reads the program from stdin, memory from argv, prints r0 in hex', async () => {
    const io = memoryIo(`${prog('ldxh %r0, [%r1+1]\nexit')}\n`);
    assert.equal(await conformancePluginCommand(['11 22 33 44'], io), 0);
    assert.equal(io.out, '3322\n');
  });

  it('exits non-zero with a message for a refused program', async () => {
    const io = memoryIo('0701000000000000'); // add %r1, 0 and no exit: runs off the end
    assert.equal(await conformancePluginCommand([], io), 1);
    assert.notEqual(io.err, '');
  });

  // Driven the way the suite's runner drives a plugin: a separate process, memory as the first
  // argument, the program as a line of hex on stdin, r0 parsed from stdout as hex.
  it('works as a separate process', () => {
    const run = (mem: string[], program: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', BIN, 'conformance-plugin', ...mem], { input: `${program}\n`, encoding: 'utf8' });
    const ok = run(['aa bb 11 22 33 44 55 66 77 88 cc dd'], prog('ldxdw %r0, [%r1+2]\nexit'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(BigInt(`0x${ok.stdout.trim()}`), 0x8877665544332211n);
    const refused = run([], '8501000000000000' + '9500000000000000'); // call with dst set: reserved field
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /insn 0/);
  });
});

/**
 * `tsbpf verify`, in-process through main() with a recording Io, on committed objects whose kernel
 * verdicts are known (testdata/objects.kernel.json): the kernel accepts sampler.bpf.o and refuses
 * timer_b48_percpu_array.bpf.o with EINVAL ("map 'm' has to have BTF in order to use bpf_timer").
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryIo } from '../io.ts';
import { main } from '../main.ts';

const ROOT = join(import.meta.dirname, '../../..');
const SAMPLER = join(ROOT, 'examples', 'sampler.bpf.o');
const PERCPU_TIMER = join(ROOT, 'testdata', 'scenarios', 'timer_b48_percpu_array.bpf.o');

test('verify: every program verifies, exit 0, one line each', async () => {
  const io = memoryIo();
  assert.equal(await main(['verify', SAMPLER], io), 0, io.err);
  const lines = io.out.trim().split('\n');
  assert.deepEqual(lines.map((l) => l.replace(/\d+ insns/, 'N insns')), [
    'xdp_count: ok, N insns processed', 'sampler_start: ok, N insns processed', 'sampler_stop: ok, N insns processed',
  ]);
  assert.equal(io.err, '');
});

test('verify --prog NAME --log-level 2: that program only, with its log in the kernel format', async () => {
  const io = memoryIo();
  assert.equal(await main(['verify', SAMPLER, '--prog', 'xdp_count', '--log-level', '2'], io), 0, io.err);
  assert.match(io.out, /^xdp_count: ok, \d+ insns processed\n/);
  assert.match(io.out, /^0: R1=ctx\(\) R10=fp0$/m);
  assert.match(io.out, /^processed \d+ insns \(limit 1000000\) max_states_per_insn \d+/m);
  assert.doesNotMatch(io.out, /sampler_start/);
});

test('verify: a rejected program is exit 1 with the errno, the summary and the log on stdout', async () => {
  const io = memoryIo();
  assert.equal(await main(['verify', PERCPU_TIMER, '--log-level', '1'], io), 1);
  const [head, ...log] = io.out.trim().split('\n');
  assert.match(head ?? '', /^use: rejected \(EINVAL\): prog use: invalid argument: map 'm' has to have BTF in order to use bpf_timer \(\d+ line\(s\) omitted\)$/);
  const call = log.indexOf('16: (85) call bpf_timer_init#169');
  assert.ok(call > 0, io.out);
  assert.equal(log[call + 1], "map 'm' has to have BTF in order to use bpf_timer");
});

test('verify: bad input is exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-verify-'));
  writeFileSync(join(dir, 'bad.o'), 'not an ELF file');
  const cases: [string[], RegExp][] = [
    [[], /usage: tsbpf verify/],
    [[join(dir, 'missing.o')], /cannot read/],
    [[join(dir, 'bad.o')], /EINVAL/],
    [[SAMPLER, '--prog', 'nope'], /no program named 'nope' \(programs: xdp_count, sampler_start, sampler_stop\)/],
    [[SAMPLER, '--log-level', '3'], /usage/],
    [[SAMPLER, '--bogus'], /Unknown option/],
  ];
  for (const [args, err] of cases) {
    const io = memoryIo();
    assert.equal(await main(['verify', ...args], io), 2, args.join(' '));
    assert.match(io.err, err, args.join(' '));
    assert.equal(io.out, '', args.join(' '));
  }
});

test('verify is listed by --help', async () => {
  const io = memoryIo();
  assert.equal(await main(['--help'], io), 0);
  assert.match(io.out, /^ {2}verify {2,}verify an object's programs/m);
  assert.match(io.out, /^ {2}tsbpf verify OBJ \[--prog NAME\] \[--log-level 0\|1\|2\]$/m);
});

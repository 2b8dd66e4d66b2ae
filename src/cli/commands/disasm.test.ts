/**
 * `tsbpf disasm`, in-process with a recording Io.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryIo } from '../io.ts';
import { main } from '../main.ts';
import { disasmCommand } from './disasm.ts';

const PROGS = join(import.meta.dirname, '../../../testdata/progs');

test('disasm prints the linked program with source lines, map and subprogram names', async () => {
  const io = memoryIo();
  assert.equal(await disasmCommand([join(PROGS, 'loader_progs.bpf.o'), '--prog', 'xdp_loop'], io), 0);
  const lines = io.out.split('\n');
  assert.equal(lines[0], "xdp_loop: section 'xdp', BPF_PROG_TYPE_XDP, attach BPF_XDP, 21 insns");
  assert.ok(lines.includes('; bpf_loop(8, sum_cb, 0, 0); @ loader_progs.bpf.c:73'), io.out);
  assert.ok(lines.includes('  1: (18) r2 = subprog[+6] <sum_cb>'), io.out);
  assert.ok(lines.includes('  5: (85) call bpf_loop#181'), io.out);
  assert.ok(lines.includes('sum_cb:') && lines.includes('square:'), io.out);
  assert.ok(lines.includes('  10: (85) call pc+7 <square>'), io.out);
  assert.ok(lines.includes('  11: (18) r1 = map[.bss][0]+0'), io.out);
  assert.equal(io.err, '');
});

test('disasm shows every program, map names and kconfig slots', async () => {
  const io = memoryIo();
  assert.equal(await main(['disasm', join(PROGS, 'loader_maps.bpf.o')], io), 0);
  assert.match(io.out, /^tail_a: section 'tc', BPF_PROG_TYPE_SCHED_CLS, 2 insns$/m);
  assert.match(io.out, /^entry: section 'tc', BPF_PROG_TYPE_SCHED_CLS, 92 insns$/m);
  assert.match(io.out, /r1 = map\[by_type\]$/m);
  assert.match(io.out, /= map\[\.kconfig\]\[0\]\+4 <CONFIG_BPF_SYSCALL>$/m);
  assert.match(io.out, /call bpf_tail_call#12$/m);
});

test('disasm: a missing program is exit 1, an unreadable or malformed object exit 2', async () => {
  let io = memoryIo();
  assert.equal(await disasmCommand([join(PROGS, 'loader_progs.bpf.o'), '--prog', 'nope'], io), 1);
  assert.match(io.err, /no program named 'nope' \(programs: xdp_pass, xdp_loop/);
  io = memoryIo();
  assert.equal(await disasmCommand([join(PROGS, 'does-not-exist.o')], io), 2);
  assert.match(io.err, /cannot read/);
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-disasm-'));
  writeFileSync(join(dir, 'bad.o'), 'not an ELF file at all');
  io = memoryIo();
  assert.equal(await disasmCommand([join(dir, 'bad.o')], io), 2);
  assert.match(io.err, /EINVAL/);
  io = memoryIo();
  assert.equal(await disasmCommand([], io), 2);
  assert.match(io.err, /usage/);
});

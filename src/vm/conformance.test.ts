// Every bpf_conformance vector runs through assemble + the reference interpreter: memory from
// `-- mem` in a region (pointer in r1, length in r2), r0 compared with `-- result`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../isa/asm.ts';
import { AddressSpace } from './memory.ts';
import { Interpreter } from './interpreter.ts';
import type { HelperFn } from './abi.ts';
import { isBpfError } from '../util/errors.ts';

function vectorDir(): string {
  for (const dir of ['testdata/conformance', '/work/shared/conformance']) {
    const t = join(dir, 'tests');
    if (existsSync(t) && readdirSync(t).some((f) => f.endsWith('.data'))) return join(dir, 'tests');
  }
  throw new Error('conformance vectors not found');
}

function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let cur: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^--\s*(.*?)\s*$/.exec(line);
    if (m) { cur = m[1] ?? ''; out.set(cur, ''); continue; }
    if (cur !== undefined) out.set(cur, (out.get(cur) ?? '') + line.replace(/#.*/, '') + '\n');
  }
  return out;
}

// uBPF's conformance helper 5 ("unwind"): returns its argument. The suite's runner provides it; the
// vector that uses it passes a non-zero argument, so the program continues.
const unwind: HelperFn = (_env, r1) => r1;
const helpers = (id: number): HelperFn | undefined => (id === 5 ? unwind : undefined);

// callx (`call %r2`) is a uBPF extension the kernel does not have: tsbpf refuses it at run time.
const REFUSED = new Map([['callx.data', /callx .* not supported/]]);

const dir = vectorDir();
const files = readdirSync(dir).filter((f) => f.endsWith('.data')).sort();
const memory = new AddressSpace();

describe('conformance vectors on the interpreter', () => {
  for (const f of files) {
    it(f, () => {
      const sec = sections(readFileSync(join(dir, f), 'utf8'));
      const insns = assemble(sec.get('asm') ?? '');
      const mem = (sec.get('mem') ?? '').split(/\s+/).filter((b) => b !== '').map((b) => parseInt(b, 16));
      const region = mem.length > 0 ? memory.alloc(mem.length, { kind: 'packet', name: f }) : undefined;
      region?.bytes().set(mem);
      const vm = new Interpreter(insns, { memory, helpers });
      try {
        const refused = REFUSED.get(f);
        if (refused !== undefined) {
          assert.throws(() => vm.run([region?.ptr ?? 0n, BigInt(mem.length)]), (e: unknown) => isBpfError(e) && refused.test((e as Error).message));
          return;
        }
        const want = BigInt.asUintN(64, BigInt((sec.get('result') ?? '').trim()));
        assert.equal(vm.run([region?.ptr ?? 0n, BigInt(mem.length)]), want);
      } finally {
        vm.dispose();
        if (region) memory.free(region);
      }
    });
  }
  it('ran the whole suite', () => assert.ok(files.length >= 313));
});

/**
 * Global functions from a clang-compiled object (testdata/verifier/global_funcs.bpf.c): with the
 * object's BTF, each is verified once from its prototype, and the verdicts and `processed` counts
 * are the kernel's (asked live where bpf() works, else the ones recorded below). The corpus
 * (testdata/verifier/global_*.s) covers the rules one by one, with logs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseBtf } from '../btf/index.ts';
import { BtfBuilder } from '../btf/test-helpers.ts';
import { assemble } from '../isa/index.ts';
import { loadCollectionSpec } from '../loader/index.ts';
import { buildVerifierProgram, verifierMapFromSpec } from '../runtime/verify-program.ts';
import { BPF_PROG_TYPE_XDP } from '../uapi/bpf.ts';
import { EFAULT } from '../uapi/errno.ts';
import { askKernel, verifierMessage, type KernelProgram } from '../../test/verifier-objects.ts';
import { kernelVerifierAvailable } from '../../tools/libbpf/verify-log.ts';
import { verify, VerifierError, type VerifierProgram } from './index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const OBJECT = 'testdata/verifier/global_funcs.bpf.o';

/** What the kernel (6.18) said of the object, for machines without bpf(). */
const RECORDED: readonly KernelProgram[] = [
  { name: 'global_ok', loaded: true, processed: 58 },
  { name: 'global_unsafe', loaded: false, errno: 22, message: 'math between map_value pointer and register with unbounded min value is not allowed' },
];

function programs(withBtf: boolean): Map<string, VerifierProgram> {
  const spec = loadCollectionSpec(new Uint8Array(readFileSync(join(ROOT, OBJECT))));
  const maps = new Map([...spec.maps].map(([name, m]) => [name, verifierMapFromSpec(m)]));
  return new Map([...spec.programs.values()].map((p) => {
    // Whether or not the runtime hands the BTF on, set it (or leave it out) here.
    const { btf: _, ...prog } = buildVerifierProgram(p, maps, spec.btf);
    return [p.name, withBtf && spec.btf !== undefined ? { ...prog, btf: spec.btf } : prog];
  }));
}

describe('global functions of a compiled object', () => {
  it('are verified on their own, as the kernel does', (t) => {
    let kernel: readonly KernelProgram[] = RECORDED;
    if (kernelVerifierAvailable(join(ROOT, 'testdata', 'scenarios', 'probe.bpf.o')) === true) {
      const v = askKernel(OBJECT);
      assert.ok(typeof v !== 'string', `the kernel could not be asked: ${String(v)}`);
      kernel = v.programs;
    } else {
      t.diagnostic('no bpf() here: compared with the recorded kernel verdicts');
    }
    assert.deepEqual(kernel.map((k) => k.name), RECORDED.map((k) => k.name));
    const progs = programs(true);
    for (const k of kernel) {
      const prog = progs.get(k.name);
      assert.ok(prog, k.name);
      if (k.loaded) {
        assert.equal(verify(prog).processed, k.processed, `${k.name}: processed`);
        continue;
      }
      assert.throws(() => verify(prog, { logLevel: 1 }), (e: unknown) => {
        assert.ok(e instanceof VerifierError);
        assert.equal(e.errno, k.errno, `${k.name}: errno`);
        assert.equal(verifierMessage(e.log), k.message);
        assert.ok(e.log.includes('Validating table_unchecked() func#1...'), e.log.join('\n'));
        return true;
      });
    }
  });

  it('without the BTF, walks them inline with the caller\'s values', () => {
    // table_unchecked(3) is safe for 3: only the prototype makes it unsafe.
    assert.doesNotThrow(() => verify(programs(false).get('global_unsafe') as VerifierProgram));
  });
});

describe('global function prototypes', () => {
  it('refuses func_info that does not name a FUNC with a typed error', () => {
    const b = new BtfBuilder().int('int', 4, true).type('', 13, 0, 1).type('prog', 12, 1, 2);
    const btf = parseBtf(b.build());
    const insns = assemble('mov %r1, 1\ncall local f\nexit\nf:\nmov %r0, 0\nexit');
    // func#1 names the FUNC_PROTO (type 2), not a FUNC.
    const prog: VerifierProgram = {
      name: 'bad_btf', insns, progType: BPF_PROG_TYPE_XDP, license: 'GPL', maps: [], btf,
      funcInfo: [{ insnIdx: 0, typeId: 3, linkage: 'global' }, { insnIdx: 3, typeId: 2, linkage: 'global' }],
    };
    assert.throws(() => verify(prog, { logLevel: 1 }), (e: unknown) => {
      assert.ok(e instanceof VerifierError);
      assert.equal(e.errno, EFAULT);
      assert.ok(e.log.includes("BTF of func#1 doesn't point to KIND_FUNC"), e.log.join('\n'));
      return true;
    });
  });
});

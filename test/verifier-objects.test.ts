/**
 * Every committed BPF object through tsbpf's verifier, as BpfObject.load runs it, against the
 * kernel's verdict on the same object: live where bpf() works, else the verdicts recorded in
 * testdata/objects.kernel.json (`UPDATE_GOLDEN=1` re-records them from the running kernel). Each
 * program the kernel accepted must verify on tsbpf; each it refused must be refused with the
 * same errno and the kernel's message. For each accepted program, tsbpf's `processed`,
 * `total_states` and `peak_states` must be the kernel's (the same paths walked, the same states
 * saved and pruned against), except for the programs in COUNTS_DIFFER, which may process at most
 * PROCESSED_SLACK times the kernel's count.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BpfObject, type ProgramVerdict } from '../src/runtime/object.ts';
import { objectNameOf } from '../src/loader/data.ts';
import { isBpfError } from '../src/util/errors.ts';
import type { VerifierResult } from '../src/verifier/index.ts';
import { kernelVerifierAvailable } from '../tools/libbpf/verify-log.ts';
import { askKernel, committedObjects, ROOT, verifierMessage, type KernelObjectVerdict } from './verifier-objects.ts';

const RECORDING = join(ROOT, 'testdata', 'objects.kernel.json');
const recorded: Record<string, KernelObjectVerdict> = existsSync(RECORDING)
  ? (JSON.parse(readFileSync(RECORDING, 'utf8')) as Record<string, KernelObjectVerdict>)
  : {};
const live = kernelVerifierAvailable(join(ROOT, 'testdata', 'scenarios', 'probe.bpf.o'));
const update = process.env.UPDATE_GOLDEN === '1';
/** How many times the kernel's `processed` count tsbpf may need for a program the kernel accepts. */
const PROCESSED_SLACK = 1.2;

/**
 * Accepted programs (`object:program`) whose counts may differ from the kernel's, and why.
 */
const COUNTS_DIFFER: Readonly<Record<string, string>> = {};

/**
 * Objects whose kernel verdict says nothing about tsbpf's verifier, and why. tsbpf's side is
 * still checked: it must verify or refuse with a typed error.
 */
const NOT_COMPARABLE: Readonly<Record<string, string>> = {
  'testdata/progs/btf_core.bpf.o':
    "libbpf relocates CO-RE against the running kernel's BTF, which has no struct core_s, so it poisons insn 0 and the kernel refuses; tsbpf, with no kernel BTF, relocates against the object's own BTF",
  'testdata/progs/loader_tracing.bpf.o':
    'needs the kernel: fentry/fexit/LSM attach targets (the kernel refuses the object with EPERM here) and kfunc externs, which tsbpf does not have (ESRCH)',
};

const objects = committedObjects();
const verdicts = new Map<string, ProgramVerdict[] | Error>();

function tsbpfVerdicts(rel: string): ProgramVerdict[] | Error {
  let v = verdicts.get(rel);
  if (v === undefined) {
    const obj = BpfObject.open(readFileSync(join(ROOT, rel)), { name: objectNameOf(rel) });
    try {
      v = obj.verify({ logLevel: 1 });
    } catch (e) {
      if (!isBpfError(e)) throw e;
      v = e as unknown as Error;
    }
    verdicts.set(rel, v);
  }
  return v;
}

describe('committed objects through the verifier', () => {
  for (const rel of objects) {
    it(`${rel}: verifies or is refused with a typed error`, () => {
      const v = tsbpfVerdicts(rel);
      if (v instanceof Error) {
        assert.ok(NOT_COMPARABLE[rel] !== undefined, `tsbpf cannot verify ${rel}: ${v.message}`);
        return;
      }
      for (const p of v) {
        if (p.error !== undefined) assert.ok(isBpfError(p.error) && p.error.log.length > 0, `${p.name}: ${String(p.error)}`);
        else assert.ok(p.result.processed > 0, `${p.name}: processed ${p.result.processed}`);
      }
    });
  }
});

describe('committed objects: tsbpf against the kernel', () => {
  const fresh: Record<string, KernelObjectVerdict> = {};
  for (const rel of objects) {
    const skip = NOT_COMPARABLE[rel];
    it(rel, skip !== undefined ? { skip } : {}, (t) => {
      let kernel: KernelObjectVerdict | string | undefined = live === true ? askKernel(rel) : undefined;
      if (typeof kernel === 'string') assert.fail(`the kernel could not be asked: ${kernel}`);
      if (kernel !== undefined) fresh[rel] = kernel;
      else {
        kernel = recorded[rel];
        if (kernel === undefined) {
          t.skip(`bpf() is not available (${String(live)}) and ${rel} has no recorded kernel verdict`);
          return;
        }
        t.diagnostic(`no bpf() here (${String(live)}): compared with the recorded kernel verdict`);
      }
      const mine = tsbpfVerdicts(rel);
      assert.ok(!(mine instanceof Error), `tsbpf refused the object before verifying: ${(mine as Error).message}`);
      assert.ok(kernel.programs.length > 0, 'the kernel verified no program of this object');
      for (const k of kernel.programs) {
        const p: ProgramVerdict | undefined = mine.find((m) => m.name === k.name);
        assert.ok(p !== undefined, `tsbpf has no program ${k.name}`);
        if (k.loaded) {
          assert.equal(p.error, undefined, `${k.name}: the kernel accepts it (${k.processed} insns processed), tsbpf said:\n${p.error?.log.join('\n')}`);
          const ratio = k.processed > 0 ? (p.result!.processed / k.processed).toFixed(2) : 'n/a';
          t.diagnostic(`${k.name}: processed tsbpf ${p.result!.processed}, kernel ${k.processed} (ratio ${ratio}, via ${kernel.via})`);
          const r: VerifierResult = p.result!;
          const differs = COUNTS_DIFFER[`${rel}:${k.name}`];
          if (differs !== undefined) {
            t.diagnostic(`${k.name}: counts may differ: ${differs}`);
            if (k.processed > 0) {
              assert.ok(r.processed <= k.processed * PROCESSED_SLACK, `${k.name}: tsbpf processed ${r.processed} insns, the kernel ${k.processed}`);
            }
          } else {
            assert.equal(r.processed, k.processed, `${k.name}: processed insns`);
            if (k.totalStates !== undefined) assert.equal(r.totalStates, k.totalStates, `${k.name}: total_states`);
            if (k.peakStates !== undefined) assert.equal(r.peakStates, k.peakStates, `${k.name}: peak_states`);
          }
        } else {
          assert.ok(p.error !== undefined, `${k.name}: the kernel refuses it with "${k.message}", tsbpf accepts it`);
          assert.equal(p.error.errno, k.errno, `${k.name}: errno (tsbpf said: ${p.error.message})`);
          assert.equal(verifierMessage(p.error.log), k.message, `${k.name}: the verifier's message`);
        }
      }
    });
  }
  if (update && live === true) {
    it('records the kernel verdicts', () => {
      const lines = Object.entries(fresh).map(([rel, v]) => `  ${JSON.stringify(rel)}: ${JSON.stringify(v)}`);
      writeFileSync(RECORDING, `{\n${lines.join(',\n')}\n}\n`);
    });
  }
});

/**
 * Test helpers for src/runtime and the engine suites (not part of the library): the
 * loader_progs object with one program replaced by assembled code, and the errno of a call
 * that must fail with a BpfError.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assemble } from '../isa/asm.ts';
import { BPF_PROG_TYPE_XDP } from '../uapi/bpf.ts';
import { isBpfError } from '../util/errors.ts';
import type { EngineName } from './engine.ts';
import { BpfObject } from './object.ts';
import type { Runtime } from './runtime.ts';

/** testdata/progs/loader_progs.bpf.o's bytes. */
export const loaderProgsBytes = (): Uint8Array => readFileSync(new URL('../../testdata/progs/loader_progs.bpf.o', import.meta.url));

/** What {@link objectWithAsm} replaces and how it loads the object. */
export interface AsmProgramOptions {
  readonly engine: EngineName;
  /** The program replaced (default `xdp_pass`). */
  readonly program?: string;
  /** Its new program type (default XDP). */
  readonly type?: number;
  /** Verify at load (default true). */
  readonly verify?: boolean;
  /** Load into this runtime (default: a new one). */
  readonly runtime?: Runtime;
}

/**
 * loader_progs, loaded, with program `options.program` replaced by `text` (conformance assembler
 * syntax). `arm_timer` is dropped; the replaced program has no func_info or line_info, as those
 * describe the compiled code.
 */
export async function objectWithAsm(text: string, options: AsmProgramOptions): Promise<BpfObject> {
  const obj = BpfObject.open(loaderProgsBytes(), { name: 'loader_progs' });
  obj.spec.programs.delete('arm_timer');
  const p = obj.spec.programs.get(options.program ?? 'xdp_pass');
  if (p === undefined) throw new Error(`loader_progs has no program '${options.program}'`);
  p.type = options.type ?? BPF_PROG_TYPE_XDP;
  p.insns = assemble(text);
  p.references = new Map();
  p.funcInfo = [];
  p.lineInfo = [];
  await obj.load({ engine: options.engine, verify: options.verify ?? true, ...(options.runtime ? { runtime: options.runtime } : {}) });
  return obj;
}

/** The errno of the BpfError `fn` throws (fails the test if it returns or throws something else). */
export function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    assert.ok(isBpfError(e), String(e));
    return e.errno;
  }
  assert.fail('no error');
}

/**
 * Runs bpf_conformance vectors on an execution engine. Engine-agnostic: the interpreter and the
 * JIT plug in through {@link ConformanceEngine}.
 */
import type { Insn } from '../isa/insn.ts';
import { assemble } from '../isa/asm.ts';
import { decodeProgram } from '../isa/decode.ts';
import type { HelperFn, HelperLookup } from '../vm/abi.ts';
import { isBpfError } from '../util/errors.ts';
import { hex64 } from '../util/u64.ts';
import type { ConformanceVector } from './vector.ts';

/** Runs a program with initial memory (pointer in r1, length in r2) and returns r0. */
export interface ConformanceEngine {
  readonly name: string;
  /** @throws {BpfError} when the program is refused or stops with a fault. */
  run(insns: readonly Insn[], mem: Uint8Array, helpers: HelperLookup): bigint;
}

/**
 * The helpers the suite's runner offers. Only uBPF's helper 5 ("unwind") is used by the vectors:
 * it returns its argument. (uBPF also stops the program when it returns 0; the kernel has no such
 * helper and no vector depends on it, so tsbpf does not model the stop.)
 */
const unwind: HelperFn = (_env, r1) => r1;
export const CONFORMANCE_HELPERS: HelperLookup = (id) => (id === 5 ? unwind : undefined);

export interface VectorOutcome {
  readonly name: string;
  /** The vector's expectation was met. */
  readonly ok: boolean;
  /** The program was refused (assembly, decoding or run). */
  readonly refused: boolean;
  readonly detail: string;
}

/** Assemble or decode a vector's program. @throws {BpfError} when it is refused. */
export function vectorProgram(v: ConformanceVector): Insn[] {
  if (v.raw !== undefined) return decodeProgram(v.raw);
  return assemble(v.asm ?? '');
}

/**
 * Run one vector: a vector with `error` passes when the program is refused (assembly, decoding
 * or run); otherwise r0 must equal `result`.
 */
export function runVector(v: ConformanceVector, engine: ConformanceEngine): VectorOutcome {
  let r0: bigint;
  try {
    r0 = engine.run(vectorProgram(v), v.mem, CONFORMANCE_HELPERS);
  } catch (e) {
    if (!isBpfError(e)) throw e; // our bug, not a refusal
    const message = (e as Error).message;
    return { name: v.name, ok: v.error !== undefined, refused: true, detail: `refused: ${message}` };
  }
  if (v.error !== undefined) return { name: v.name, ok: false, refused: false, detail: `expected a refusal${v.error ? ` (${v.error})` : ''}, got r0 = ${hex64(r0)}` };
  if (r0 !== v.result) return { name: v.name, ok: false, refused: false, detail: `r0 = ${hex64(r0)}, expected ${hex64(v.result ?? 0n)}` };
  return { name: v.name, ok: true, refused: false, detail: `r0 = ${hex64(r0)}` };
}

/**
 * The execution engines a loaded program can use, behind one shape: the reference interpreter
 * (src/vm) and the BPF -> WebAssembly JIT (src/jit), the default. Both run the same instructions
 * over the same address space with the same helpers, faults (RunError) and callbacks; the
 * runtime cannot tell them apart except by speed. Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import type { HelperLookup } from '../vm/abi.ts';
import type { AddressSpace } from '../vm/memory.ts';
import type { PacketLookup } from '../vm/ld-abs.ts';
import { Interpreter } from '../vm/interpreter.ts';
import { compileProgramSync } from '../jit/program.ts';
import type { EntryValue, InlineCtxLoad, InlineCtxLookup, InlineHelperLookup } from '../jit/inline.ts';
import type { VerifierResult } from '../verifier/types.ts';
import { BpfError, isBpfError } from '../util/errors.ts';
import { E2BIG, EINVAL } from '../uapi/errno.ts';

/** Engine names accepted by `load({ engine })`. */
export type EngineName = 'interpreter' | 'jit';

/** Every engine, in the order tests and benchmarks go through them. */
export const ENGINE_NAMES: readonly EngineName[] = ['interpreter', 'jit'];

/** The engine `load` uses when none is named. */
export const DEFAULT_ENGINE: EngineName = 'jit';

/** What the runtime needs from an engine (the Interpreter's shape). */
export interface Engine {
  /** The program's instructions. */
  readonly insns: readonly Insn[];
  /** Runs the program from its first instruction with R1..R5 = args; returns R0. */
  run(args: readonly bigint[]): bigint;
  /**
   * Runs the program from its first instruction `count` times (1 .. 2^32 - 1) with the same args,
   * exactly as `count` calls of run, without coming back to the runtime between runs; returns the
   * last R0, or throws the first run's error. Optional (the JIT has it): BPF_PROG_TEST_RUN's
   * `repeat` uses it for programs that leave nothing for the runtime to reset between runs.
   */
  repeat?(args: readonly bigint[], count: number): bigint;
  /** Calls a subprogram by function pointer (callbacks). */
  callFunction(funcPtr: bigint, args: readonly bigint[]): bigint;
  /** Frees the engine's memory (stacks, compiled code). */
  dispose(): void;
}

/** What an engine takes from the verifier's acceptance of a program. */
export interface VerifiedProgram {
  /** Slots of the loads and stores of the context (converted at run time, as the kernel rewrites them). */
  readonly ctxAccessSlots: ReadonlySet<number>;
  /** The context field each of those loads reads (offset in the uapi struct, size), by slot. */
  readonly ctxLoadFields?: ReadonlyMap<number, { readonly off: number; readonly size: number }>;
  /** Stack bytes each subprogram (by first slot) can touch. */
  readonly stackDepths?: ReadonlyMap<number, number>;
}

/** The facts of a verifier result the engines use. */
export function verifiedProgram(result: VerifierResult): VerifiedProgram {
  const ctxAccessSlots = new Set<number>();
  const ctxLoadFields = new Map<number, { off: number; size: number }>();
  for (const [slot, fact] of result.facts) {
    if (fact.kind !== 'ctx') continue;
    ctxAccessSlots.add(slot);
    if (!fact.write) ctxLoadFields.set(slot, { off: fact.off, size: fact.size });
  }
  return { ctxAccessSlots, ctxLoadFields, stackDepths: new Map(result.subprogs.map((s) => [s.start, s.stackDepth])) };
}

/** Everything an engine is built from. */
export interface EngineOptions {
  readonly memory: AddressSpace;
  readonly helpers: HelperLookup;
  readonly resolveLdImm64: (insn: Insn) => bigint;
  readonly packetOf: PacketLookup;
  /**
   * Instruction budget of one run. The interpreter counts instructions; the JIT counts loop
   * iterations (back edges and may_goto), which stops the same runaway programs.
   */
  readonly maxInsns?: number;
  /**
   * Present when the verifier accepted the program: the JIT then drops its run-time checks
   * (bounds, loop budget, register reads), as the kernel's JIT trusts its verifier, and converts
   * the context accesses the verifier found through the address space. Absent (unverified code):
   * every access is checked, so faults match the interpreter's.
   */
  readonly verified?: VerifiedProgram;
  /**
   * JIT only: helper call sites implemented in WebAssembly instead of a call into JS, and the
   * values they read (set at each entry).
   */
  readonly inline?: {
    readonly helpers: InlineHelperLookup;
    readonly entryValues: readonly EntryValue[];
    /** Verified programs: the context field loads done in WebAssembly (the program type's layout). */
    readonly ctxLoads?: InlineCtxLookup;
  };
}

/** True when `name` is an engine of this build. */
export function isEngineName(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name);
}

/**
 * Builds the engine `name` for `insns`. The JIT compiles verified programs without run-time
 * checks and unverified ones in checked mode (see EngineOptions.verified). A program too large
 * for the host's WebAssembly limits (hundreds of thousands of instructions in one function)
 * runs on the interpreter instead.
 * @throws {BpfError} EINVAL for unknown names; InsnError (EINVAL) for a register above R10.
 */
export function createEngine(name: EngineName, insns: readonly Insn[], options: EngineOptions): Engine {
  switch (name) {
    case 'interpreter':
      return new Interpreter(insns, options);
    case 'jit':
      try {
        return compileJit(insns, options);
      } catch (e) {
        if (isBpfError(e, E2BIG)) return new Interpreter(insns, options);
        throw e;
      }
    default:
      throw new BpfError(EINVAL, `unknown engine '${String(name)}' (${ENGINE_NAMES.join(', ')})`);
  }
}

/** The JIT in the mode the program calls for (see EngineOptions.verified). */
function compileJit(insns: readonly Insn[], options: EngineOptions): Engine {
  const v = options.verified;
  return compileProgramSync(insns, {
    memory: options.memory,
    helpers: options.helpers,
    resolveLdImm64: options.resolveLdImm64,
    packetOf: options.packetOf,
    ...(v !== undefined
      ? { mode: 'unchecked', slowAccesses: v.ctxAccessSlots, registersProven: true, ...(v.stackDepths !== undefined ? { stackDepths: v.stackDepths } : {}) }
      : { mode: 'checked' }),
    ...(options.maxInsns !== undefined ? { maxInsns: options.maxInsns } : {}),
    ...(options.inline !== undefined ? { inlineHelpers: options.inline.helpers, entryValues: options.inline.entryValues } : {}),
    ...(v !== undefined && options.inline?.ctxLoads !== undefined ? { ctxLoads: inlineCtxLoads(v, options.inline.ctxLoads) } : {}),
  });
}

/** The context loads of a verified program the layout lets WebAssembly do, by slot. */
function inlineCtxLoads(v: VerifiedProgram, lookup: InlineCtxLookup): Map<number, InlineCtxLoad> {
  const loads = new Map<number, InlineCtxLoad>();
  for (const [slot, field] of v.ctxLoadFields ?? []) {
    const cl = lookup(field.off, field.size);
    if (cl !== undefined) loads.set(slot, cl);
  }
  return loads;
}

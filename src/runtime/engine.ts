/**
 * The execution engines a loaded program can use, behind one shape: the reference interpreter
 * (src/vm) now, the BPF → WebAssembly JIT (src/jit) when it is built in. Works in node / browser.
 */
import type { Insn } from '../isa/insn.ts';
import type { HelperLookup } from '../vm/abi.ts';
import type { AddressSpace } from '../vm/memory.ts';
import type { PacketLookup } from '../vm/ld-abs.ts';
import { Interpreter } from '../vm/interpreter.ts';
import { BpfError } from '../util/errors.ts';
import { EINVAL, EOPNOTSUPP } from '../uapi/errno.ts';

/** Engine names accepted by `load({ engine })`. */
export type EngineName = 'interpreter' | 'jit';

/** What the runtime needs from an engine (the Interpreter's shape). */
export interface Engine {
  /** Runs the program from its first instruction with R1..R5 = args; returns R0. */
  run(args: readonly bigint[]): bigint;
  /** Calls a subprogram by function pointer (callbacks). */
  callFunction(funcPtr: bigint, args: readonly bigint[]): bigint;
  /** Frees the engine's memory (stacks, compiled code). */
  dispose(): void;
}

/** Everything an engine is built from. */
export interface EngineOptions {
  readonly memory: AddressSpace;
  readonly helpers: HelperLookup;
  readonly resolveLdImm64: (insn: Insn) => bigint;
  readonly packetOf: PacketLookup;
  readonly maxInsns?: number;
}

/**
 * Builds the engine `name` for `insns`.
 * @throws {BpfError} EOPNOTSUPP for 'jit' until the JIT is built in; EINVAL for unknown names.
 */
export function createEngine(name: EngineName, insns: readonly Insn[], options: EngineOptions): Engine {
  switch (name) {
    case 'interpreter':
      return new Interpreter(insns, options);
    case 'jit':
      throw new BpfError(EOPNOTSUPP, "engine 'jit' is not available in this build of tsbpf (use 'interpreter')");
    default:
      throw new BpfError(EINVAL, `unknown engine '${String(name)}' (interpreter, jit)`);
  }
}

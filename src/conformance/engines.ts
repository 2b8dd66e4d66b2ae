/** The execution engines the conformance runner can use. */
import type { Insn } from '../isa/insn.ts';
import type { HelperLookup } from '../vm/abi.ts';
import { Interpreter } from '../vm/interpreter.ts';
import { AddressSpace } from '../vm/memory.ts';
import { compileProgramSync } from '../jit/program.ts';
import type { ConformanceEngine } from './run.ts';

/** The reference interpreter, on an address space shared by every vector of a run. */
export function interpreterEngine(memory = new AddressSpace()): ConformanceEngine {
  return {
    name: 'interpreter',
    run(insns: readonly Insn[], mem: Uint8Array, helpers: HelperLookup): bigint {
      const region = mem.length > 0 ? memory.alloc(mem.length, { kind: 'packet', name: 'conformance memory' }) : undefined;
      region?.bytes().set(mem);
      const vm = new Interpreter(insns, { memory, helpers });
      try {
        return vm.run([region?.ptr ?? 0n, BigInt(mem.length)]);
      } finally {
        vm.dispose();
        if (region !== undefined) memory.free(region);
      }
    },
  };
}

/** The JIT in checked mode (the vectors are unverified), compiled synchronously per vector. */
export function jitEngine(memory = new AddressSpace()): ConformanceEngine {
  return {
    name: 'jit',
    run(insns: readonly Insn[], mem: Uint8Array, helpers: HelperLookup): bigint {
      const region = mem.length > 0 ? memory.alloc(mem.length, { kind: 'packet', name: 'conformance memory' }) : undefined;
      region?.bytes().set(mem);
      let prog: ReturnType<typeof compileProgramSync> | undefined;
      try {
        prog = compileProgramSync(insns, { memory, helpers, mode: 'checked' });
        return prog.run([region?.ptr ?? 0n, BigInt(mem.length)]);
      } finally {
        prog?.dispose();
        if (region !== undefined) memory.free(region);
      }
    },
  };
}

export const ENGINES: Record<string, () => ConformanceEngine> = {
  interpreter: () => interpreterEngine(),
  jit: () => jitEngine(),
};

/**
 * @module vm
 * Execution: the one address space shared by every engine (memory.ts), the execution ABI shared
 * with the JIT and helper implementations (abi.ts), and the reference interpreter
 * (interpreter.ts). Imports only isa/, uapi/ and util/; never maps, helper bodies or runtime/.
 * Semantics follow ___bpf_prog_run() in kernel/bpf/core.c and
 * https://docs.kernel.org/bpf/standardization/instruction-set.html. Works in node / browser.
 */
export {
  ADDR_BASE, ADDR_LIMIT, AddressSpace, DEFAULT_MAX_BYTES, Region, WASM_PAGE_BYTES,
  type AccessKind, type AddressSpaceOptions, type AllocOptions, type RegionFields, type RegionKind, type WasmMemory,
} from './memory.ts';
export {
  BPF_MAX_LOOPS, DEFAULT_MAX_INSNS, FUNC_PTR_TAG, FUNC_PTR_TAG_HI, MAX_NESTED_RUNS, SKF_LL_OFF,
  SKF_NET_OFF, decodeFuncPtr, encodeFuncPtr, type HelperEnv, type HelperFn, type HelperLookup,
} from './abi.ts';
export { Interpreter, type InterpreterOptions, type RunArgs } from './interpreter.ts';
export type { PacketLookup, PacketView } from './ld-abs.ts';
export { StackPool, STACK_GUARD_BYTES } from './stack-pool.ts';

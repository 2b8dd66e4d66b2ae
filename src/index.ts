/**
 * @module tsbpf
 * Public API of tsbpf: a userspace eBPF runtime. Re-exports only; each layer documents itself in
 * its own index.ts. Works in node / browser (Node-only conveniences live in `tsbpf/node`).
 */
export { BpfError, ElfError, BtfError, InsnError, RunError, InternalError, isBpfError } from './util/errors.ts';
export { errnoName } from './uapi/errno.ts';
export { helperName, helperId } from './uapi/helpers.ts';
export { decodeProgram, encodeProgram, disasmProgram, disasmInsn, assemble, type Insn } from './isa/index.ts';
export { AddressSpace, Interpreter, ADDR_BASE, type HelperFn, type HelperEnv, type HelperLookup } from './vm/index.ts';
export { parseElf, type ElfFile } from './elf/index.ts';
export { parseBtf, parseBtfExt, Btf, type BtfExt } from './btf/index.ts';
export { parseVector, type ConformanceVector } from './conformance/vector.ts';
export { runVector, type ConformanceEngine, type VectorOutcome } from './conformance/run.ts';
export { interpreterEngine } from './conformance/engines.ts';
export { BpfObject, Runtime, MapHandle, TypedMap, ProgramHandle, BatchError, u8, u16, u32, u64, s32, s64, type BatchPage } from './runtime/index.ts';
export type { LoadOptions, OpenOptions, RuntimeOptions, RunOptions, RunResult, EngineName, Codec } from './runtime/index.ts';
export type { ProgramVerdict, VerifyObjectOptions } from './runtime/index.ts';
export { VerifierError, verify, type VerifierResult, type VerifierProgram, type VerifyOptions } from './verifier/index.ts';
export { parseScenario, runScenario, type Scenario, type ScenarioResult } from './runtime/index.ts';
export { VirtualClock, RealClock, type Clock } from './timers/index.ts';
export { loadCollectionSpec, type CollectionSpec, type MapSpec, type ProgramSpec } from './loader/index.ts';
export { compileProgram, compileProgramSync, JitProgram, type JitOptions } from './jit/index.ts';

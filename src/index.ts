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
